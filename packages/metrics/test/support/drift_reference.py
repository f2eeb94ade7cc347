"""The reference computation of @mlops/metrics' drift statistics, in numpy/scipy, on the data the test
sends as JSON on stdin: a training set (columns with nulls) and a live window. Prints JSON."""
import json
import sys

import numpy as np
from scipy import stats

EPS = 1e-4


def psi(expected, actual):
    e = np.maximum(np.asarray(expected, dtype=float), EPS)
    a = np.maximum(np.asarray(actual, dtype=float), EPS)
    return float(np.sum((a - e) * np.log(a / e)))


def numeric(train, live, bins, points):
    t = np.array([v for v in train if v is not None and not np.isnan(v)], dtype=float)
    edges = []
    for e in np.quantile(t, [i / bins for i in range(1, bins)]):
        if not edges or e > edges[-1]:
            edges.append(float(e))
    counts = np.bincount(np.searchsorted(edges, t, side="left"), minlength=len(edges) + 1)
    quantiles = np.quantile(t, np.linspace(0, 1, points))
    profile = {
        "missingRate": 1 - len(t) / len(train),
        "min": float(t.min()),
        "max": float(t.max()),
        "edges": edges,
        "frequencies": (counts / len(t)).tolist(),
        "quantiles": quantiles.tolist(),
    }
    w = np.array([v for v in live if v is not None and not np.isnan(v)], dtype=float)
    q = quantiles
    levels = len(q) - 1

    def cdf(x):
        x = np.asarray(x, dtype=float)
        j = np.clip(np.searchsorted(q, x, side="right") - 1, 0, levels - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            inner = (j + (x - q[j]) / (q[j + 1] - q[j])) / levels
        return np.where(x < q[0], 0.0, np.where(x >= q[-1], 1.0, inner))

    live_counts = np.bincount(np.searchsorted(edges, w, side="left"), minlength=len(edges) + 1)
    drift = {
        "observations": len(live),
        "missingRate": 1 - len(w) / len(live),
        "outOfRangeRate": float(np.mean((w < t.min()) | (w > t.max()))),
        "psi": psi(counts / len(t), live_counts / len(w)),
        "ks": float(stats.kstest(w, cdf).statistic),
    }
    return profile, drift


def categorical(train, live, max_categories):
    present = [v for v in train if v is not None]
    values, counts = np.unique(np.array(present, dtype=object).astype(str), return_counts=True)
    order = sorted(range(len(values)), key=lambda i: (-counts[i], values[i]))[:max_categories]
    cats = [str(values[i]) for i in order]
    freqs = [counts[i] / len(present) for i in order]
    other = 1 - sum(counts[i] for i in order) / len(present)
    profile = {
        "missingRate": 1 - len(present) / len(train),
        "categories": cats,
        "frequencies": freqs,
        "otherFrequency": other,
    }
    w = [str(v) for v in live if v is not None]
    index = {c: i for i, c in enumerate(cats)}
    live_counts = np.bincount([index.get(v, len(cats)) for v in w], minlength=len(cats) + 1)
    drift = {
        "observations": len(live),
        "missingRate": 1 - len(w) / len(live),
        "outOfRangeRate": float(live_counts[-1] / len(w)) if other == 0 else 0.0,
        "psi": psi(freqs + [other], live_counts / len(w)),
    }
    return profile, drift


def main():
    data = json.load(sys.stdin)
    out = {}
    for name, spec in data["features"].items():
        if spec["kind"] == "numeric":
            out[name] = numeric(spec["train"], spec["live"], data["bins"], data["quantiles"])
        else:
            out[name] = categorical(spec["train"], spec["live"], data["maxCategories"])
    json.dump({k: {"profile": p, "drift": d} for k, (p, d) in out.items()}, sys.stdout)


main()
