# Jupyter for the examples' Deno notebook (examples/notebooks/): a `jupyter` venv with nbconvert and nbclient
# (pinned below), and Deno's own kernel registered in that venv by `deno jupyter --install`.
#
#   bash platform/lib/jupyter.sh [deno-binary]   builds what is missing; prints the venv's `jupyter` path
#
# Sourced by platform/bin/platform like every lib file (it only defines functions then); executed, it installs.
# The notebook runs as `jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=deno ...`.
#
# `deno jupyter --install` writes its kernelspec under $HOME/.local/share/jupyter/kernels (Deno 2.9 reads neither
# JUPYTER_DATA_DIR nor JUPYTER_PATH), so it runs with HOME pointed at a scratch directory and the kernelspec is
# moved into the venv's share/jupyter/kernels, which the venv's jupyter searches (sys.prefix): the user's home is
# never touched, and nothing but this venv sees the kernel. The kernelspec names the deno binary by its path:
# the marker carries that path and Deno's version, so a moved or upgraded Deno re-registers the kernel.

JUPYTER_PINS="nbconvert==7.17.2 nbclient==0.11.0 jupyter-client==8.10.0 jupyter-core==5.9.1"

_jupyter_deno_kernel() {  # _jupyter_deno_kernel venv deno
  local venv=$1 deno=$2 home
  home=$(mktemp -d)
  HOME="$home" "$deno" jupyter --install --force --name deno --display "Deno" || { rm -rf "$home"; return 1; }
  mkdir -p "$venv/share/jupyter/kernels"
  rm -rf "$venv/share/jupyter/kernels/deno"
  mv "$home/.local/share/jupyter/kernels/deno" "$venv/share/jupyter/kernels/deno"
  rm -rf "$home"
}

_jupyter_venv_install() {
  local venv=$1
  # shellcheck disable=SC2086 # JUPYTER_PINS is a list of requirements
  uv_pip "$venv" $JUPYTER_PINS || return 1
  _jupyter_deno_kernel "$venv" "$JUPYTER_DENO"
}

jupyter_install() {  # jupyter_install [deno-binary]
  local deno=${1:-${MLOPS_DENO:-}}
  [[ -n $deno ]] || deno=$(command -v deno || true)
  [[ -n $deno && -x $deno ]] || die "jupyter: no deno binary (source scripts/bootstrap.sh, which sets MLOPS_DENO, or pass its path)"
  JUPYTER_DENO=$(readlink -f "$deno")
  local version
  version=$("$JUPYTER_DENO" --version | head -1 | awk '{print $2}')
  ensure_venv jupyter "$JUPYTER_PINS deno=$version@$JUPYTER_DENO" _jupyter_venv_install
  [[ -f $VENVS/jupyter/share/jupyter/kernels/deno/kernel.json ]] || die "jupyter: the Deno kernelspec is missing from $VENVS/jupyter"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  # shellcheck source=common.sh
  source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
  jupyter_install "${1:-}"
  echo "$VENVS/jupyter/bin/jupyter"
fi
