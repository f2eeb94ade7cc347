"""A fork server for the tests' Feast Python runs.

Importing feast costs about 5 s of CPU, and the tests run Feast Python (scripts and the feast CLI) dozens of
times; on 2 cores that import was most of the test run. This process imports feast once, then forks a child
per request: the child is a fresh interpreter state with feast already imported, runs one command exactly as
`python <argv>` or `feast <argv>` would (argv, cwd, env, stdin, fds 1 and 2, exit status), and answers.
Requests from several test workers run in parallel, one child each.

  feast_fork_server.py SOCKET   serve on a Unix socket until killed; prints "ready" once listening.

A request is one JSON object (the client half-closes after it); the answer is one JSON object:
  {"argv": ["-c", SCRIPT, ARG...] | [FILE.py, ARG...] | ["--feast-cli", ARG...], "cwd": ..., "env": {...},
   "stdin": "..."}  ->  {"code": N, "stdout": "...", "stderr": "..."}
"""

import json
import os
import signal
import socket
import sys
import tempfile
import traceback

# What every request needs, imported once before the first fork.
import feast  # noqa: F401
import feast.cli.cli  # noqa: F401
import feast.feature_store  # noqa: F401
import pandas  # noqa: F401
import pyarrow  # noqa: F401


def run(request):
    """In the child: becomes the requested command, returns its exit status."""
    os.chdir(request.get("cwd") or os.getcwd())
    os.environ.update(request.get("env") or {})
    argv = request["argv"]
    try:
        if argv[0] == "--feast-cli":
            sys.argv = ["feast", *argv[1:]]
            feast.cli.cli.cli(prog_name="feast")
        elif argv[0] == "-c":
            sys.argv = ["-c", *argv[2:]]
            exec(compile(argv[1], "<string>", "exec"), {"__name__": "__main__"})
        else:
            sys.argv = list(argv)
            path = os.path.abspath(argv[0])
            sys.path.insert(0, os.path.dirname(path))
            with open(path, encoding="utf-8") as source:
                code = compile(source.read(), path, "exec")
            exec(code, {"__name__": "__main__", "__file__": path})
        return 0
    except SystemExit as exit:
        if exit.code is None:
            return 0
        if isinstance(exit.code, int):
            return exit.code
        print(exit.code, file=sys.stderr)
        return 1
    except BaseException:
        traceback.print_exc()
        return 1


def child(conn):
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the command's own subprocesses report their status
    with conn:
        data = b""
        while chunk := conn.recv(1 << 16):
            data += chunk
        request = json.loads(data)
        files = {}
        for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
            handle = tempfile.TemporaryFile()
            if fd == 0:
                handle.write((request.get("stdin") or "").encode())
                handle.seek(0)
            os.dup2(handle.fileno(), fd)
            files[name] = handle
        sys.stdin = open(0, encoding="utf-8", closefd=False)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
        code = run(request)
        sys.stdout.flush()
        sys.stderr.flush()
        answer = {"code": code}
        for name in ("stdout", "stderr"):
            files[name].seek(0)
            answer[name] = files[name].read().decode("utf-8", "replace")
        conn.sendall(json.dumps(answer).encode())


def main():
    path = sys.argv[1]
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(64)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    print("ready", flush=True)
    while True:
        conn, _ = server.accept()
        if os.fork() == 0:
            server.close()
            try:
                child(conn)
            finally:
                os._exit(0)
        conn.close()


if __name__ == "__main__":
    main()
