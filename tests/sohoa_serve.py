"""`sohoa serve` (uvicorn) in a subprocess on loopback, for the tests that meet the API as another
service does."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from conftest import REPO, cli_env, run_cli

STARTED = re.compile(rb"Uvicorn running on http://127\.0\.0\.1:(\d+)")


class Server:
    """`sohoa serve` on a port the kernel picks as uvicorn binds it (SOHOA_API_PORT=0; the port
    is read back from uvicorn's start-up line), since a port picked free beforehand could be
    taken by a test running in parallel. Everything it logs goes to a file."""

    def __init__(self, home: Path, **env: str):
        self.home = home
        self.env = cli_env(home, **env)
        self.port: int | None = None
        self.url: str | None = None
        self.log_path = home.parent / f"{home.name}-serve.log"
        self.process: subprocess.Popen | None = None

    def key(self, name: str, scopes: str) -> str:
        made = run_cli(self.env, "keys", "create", "--name", name, "--scopes", scopes)
        assert made.returncode == 0, made.stderr
        return made.stdout.strip()

    def start(self) -> Server:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        logged_before = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:  # a restart adds to the log of the first start
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pipeline", "serve"], env={**self.env, "SOHOA_API_PORT": "0"},
                cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        self.port = self.url = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.port is None:
                started = STARTED.search(self.log_path.read_bytes()[logged_before:])
                if started:
                    self.port = int(started.group(1))
                    self.url = f"http://127.0.0.1:{self.port}"
            if self.url is not None:
                try:
                    if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
            if self.process.poll() is not None:
                raise AssertionError(f"sohoa serve exited: {self.log()}")
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"sohoa serve did not become ready in 60 s: {self.log()[-2000:]}")

    def log(self) -> str:
        """What the server has logged so far (bytes that are not UTF-8 shown as U+FFFD)."""
        return self.log_path.read_bytes().decode("utf-8", errors="replace") if self.log_path.exists() else ""

    def stop(self) -> str:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=30)
        return self.log()
