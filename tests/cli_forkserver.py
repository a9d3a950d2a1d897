"""`run_cli`'s commands forked from a process that has imported sohoa once.

A `sohoa` command started with `python -m pipeline` spends 0.6-1.4 CPU-seconds importing
SQLAlchemy, pydantic, click, Pillow, NumPy, pikepdf and pyHanko before it does anything; the suite
runs a few hundred of them. The fork server imports all that once (per pytest worker) and forks
one child per command. The child is still a process of its own: it gets the command's environment
(os.environ replaced as a whole), working directory, stdin from /dev/null, stdout and stderr into
files, and its real exit status (a signal too) is what `run_cli` returns, as from
`subprocess.run`. What cannot differ by command stays as the server started: the interpreter's
start-up settings (sys.path, locale, hash seed) — the same ones `cli_env` gives every command.

`SOHOA_TEST_FORK_CLI=0` runs every command with `subprocess.run` instead.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SERVER = Path(__file__).resolve()

#: What a command imports anyway, imported once in the server (each a module name).
PRELOADED = (
    "pipeline.cli.app", "pipeline.core.runtime", "pipeline.core.document", "pipeline.core.run",
    "pipeline.core.verify", "pipeline.stages.sign", "pipeline.stages.assemble", "pipeline.stages.preprocess",
    "pipeline.stores.objects", "pipeline.stores.index", "pipeline.stages.tesseract", "numpy", "PIL.Image", "pikepdf",
    "pyhanko.sign", "pyhanko.sign.validation", "sqlalchemy.dialects.postgresql", "psycopg",
)


def serve() -> None:
    """The server's loop: one JSON request per line on stdin, a line with the child's pid and
    then one with its exit status on stdout."""
    import importlib

    for name in PRELOADED:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a module a command may not need; it imports it itself
            pass
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    replies.write(b'{"ready": true}\n')
    replies.flush()
    for line in requests:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)  # never returns
        replies.write(json.dumps({"pid": pid}).encode() + b"\n")
        replies.flush()
        _, status, usage = os.wait4(pid, 0)
        cpu = usage.ru_utime + usage.ru_stime
        replies.write(json.dumps({"pid": pid, "returncode": _returncode(status), "cpu": cpu}).encode() + b"\n")
        replies.flush()


def _returncode(status: int) -> int:
    """As `subprocess` reports it: the exit code, or minus the signal that ended the process."""
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def _child(request: dict) -> None:
    import atexit
    import runpy
    import traceback

    code = 1
    try:
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        null = os.open(os.devnull, os.O_RDONLY)
        out = os.open(request["stdout"], os.O_WRONLY | os.O_TRUNC)
        err = os.open(request["stderr"], os.O_WRONLY | os.O_TRUNC)
        for source, target in ((null, 0), (out, 1), (err, 2)):
            os.dup2(source, target)
            os.close(source)
        sys.stdin = open(0, closefd=False)
        sys.argv = [str(REPO / "pipeline" / "__main__.py"), *request["args"]]
        try:
            runpy.run_module("pipeline", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exc:
            code = _exit_code(exc.code)
        except BaseException:  # noqa: BLE001 - printed as Python would, then exit 1
            traceback.print_exc()
            code = 1
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(code)


def _exit_code(value) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    print(value, file=sys.stderr)
    return 1


class ForkServer:
    """The client side, one per pytest process; commands run one at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        #: CPU-seconds of the commands run so far (each child with its own children), for
        #: `--cpu-report`: they are the server's children, not this process's.
        self.cpu_seconds = 0.0

    def _started(self) -> subprocess.Popen:
        if self._process is None or self._process.poll() is not None:
            code = f"import runpy; runpy.run_path({str(SERVER)!r}, run_name='cli_forkserver')['serve']()"
            self._process = subprocess.Popen(
                [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0,
                cwd=REPO, env={k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")},
            )
            if json.loads(self._process.stdout.readline() or b"{}").get("ready") is not True:
                raise RuntimeError("the sohoa fork server did not start")
        return self._process

    @staticmethod
    def can_run(env: dict[str, str]) -> bool:
        """Whether a forked child would start as `python -m pipeline` with ``env`` would: not when
        the command changes what the interpreter reads at start-up (PYTHONPATH, PYTHONHOME, …;
        a test that hides a module that way needs a new interpreter)."""
        def start_up(variables):
            return {k: v for k, v in variables.items() if k.startswith("PYTHON")}
        return start_up(env) == start_up(os.environ)

    def run(self, args: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
        with self._lock, tempfile.TemporaryDirectory(prefix="sohoa-cli-") as tmp:
            out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
            out.touch(), err.touch()
            server = self._started()
            request = {"args": args, "env": env, "cwd": str(REPO), "stdout": str(out), "stderr": str(err)}
            server.stdin.write(json.dumps(request).encode() + b"\n")
            server.stdin.flush()
            pid = json.loads(server.stdout.readline())["pid"]
            ready, _, _ = select.select([server.stdout], [], [], timeout)
            if not ready:
                os.kill(pid, signal.SIGKILL)
                self.cpu_seconds += json.loads(server.stdout.readline())["cpu"]
                raise subprocess.TimeoutExpired([sys.executable, "-m", "pipeline", *args], timeout,
                                                out.read_bytes(), err.read_bytes())
            done = json.loads(server.stdout.readline())
            self.cpu_seconds += done["cpu"]
            returncode = done["returncode"]
            return subprocess.CompletedProcess(
                [sys.executable, "-m", "pipeline", *args], returncode,
                out.read_text(errors="replace"), err.read_text(errors="replace"))

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.stdin.close()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            # Reaped, the server's CPU and its children's now count in this process's
            # RUSAGE_CHILDREN: counted here as well, the commands would count twice.
            self.cpu_seconds = 0.0
        self._process = None


FORK_SERVER = ForkServer()
