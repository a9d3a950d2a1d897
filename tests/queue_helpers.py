"""Helpers for the queue tests: quick scans, a throwaway redis-server, `sohoa worker` subprocesses
and batch polling (the fixtures that use them are in conftest.py)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from conftest import REPO, run_cli
from pipeline.samples import FONT_DIR, FONT_FILES

PARAGRAPH = (
    "Ủy ban nhân dân xã Tân Phú xác nhận ông Nguyễn Văn {n} đang cư trú tại thôn {n}, "
    "hồ sơ số {n}/2026/XN-UBND được tiếp nhận tại Bộ phận Một cửa."
)


def write_paragraph_scans(folder: Path, count: int, *, start: int = 0) -> list[Path]:
    """``count`` small one-paragraph PNG scans at 200 dpi, each with different text (so
    different bytes): quick to OCR, yet real Vietnamese text through the whole pipeline."""
    folder.mkdir(parents=True, exist_ok=True)
    font = ImageFont.truetype(
        str(FONT_DIR / FONT_FILES["regular"]), 34)
    paths = []
    for n in range(start, start + count):
        image = Image.new("L", (1400, 360), 255)
        draw = ImageDraw.Draw(image)
        words, line, y = PARAGRAPH.format(n=n).split(), "", 40
        for word in words:
            if draw.textlength(f"{line} {word}", font=font) > 1300:
                draw.text((50, y), line, font=font, fill=0)
                line, y = word, y + 52
            else:
                line = f"{line} {word}".strip()
        draw.text((50, y), line, font=font, fill=0)
        path = folder / f"xac-nhan-{n:03d}.png"
        image.save(path, dpi=(200, 200))
        paths.append(path)
    return paths


def free_port() -> int:
    """A port nobody listens on now. Another process may take it before it is bound, so whoever
    binds it later checks that the listener is its own (see RedisServer)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server of this test only, on a free port, without persistence (like the default
    compose redis after a restart: its queues are gone). A restart keeps the port, so the broker
    URL the workers hold stays valid."""

    def __init__(self, tmp: Path):
        self.port: int | None = None
        self.dir = tmp
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed")
        if self.port is not None:
            if not self._serve_on(self.port):
                raise RuntimeError(f"redis-server could not listen on port {self.port} again")
            return self
        # A test running in parallel can take the picked port before redis-server binds it:
        # then try another.
        for _ in range(5):
            if self._serve_on(free_port()):
                return self
        raise RuntimeError("redis-server did not start on any of 5 free ports")

    def _serve_on(self, port: int) -> bool:
        """Start redis-server on ``port``: True once it answers there as this very process."""
        import redis

        self.port = port
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=port)
        try:
            for _ in range(100):
                if self.process.poll() is not None:
                    break  # it could not bind the port
                try:
                    # Its PID tells our server from another test's that holds the port.
                    if client.info("server")["process_id"] == self.process.pid:
                        return True
                    break
                except redis.ConnectionError:
                    time.sleep(0.05)
        finally:
            client.close()
        self.stop()
        return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


class Worker:
    """`sohoa worker` in its own process group, so a kill reaches every process it spawned."""

    def __init__(self, env: dict[str, str], log: Path, processes: int = 1):
        self.env, self.log, self.processes = env, log, processes
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        handle = self.log.open("a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "worker", "--processes", str(self.processes)],
            env=self.env, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
        )
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=60)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None


def batch_status(env: dict[str, str], batch_id: str) -> dict:
    result = run_cli(env, "batch", "status", batch_id, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def wait_for(predicate, timeout: float, what: str, interval: float = 0.5):
    """Poll until ``predicate()`` is truthy (a liveness bound, not a speed assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"gave up waiting {timeout:.0f} s for {what}")


def index_url_of(env: dict[str, str]) -> str:
    """The index a `sohoa` subprocess with ``env`` uses."""
    home = Path(env["SOHOA_HOME"]).resolve()
    return env.get("SOHOA_DATABASE_URL") or f"sqlite:///{home / 'index.sqlite3'}"


def batch_counts(env: dict[str, str], batch_id: str):
    """The batch's counts read from the index in this process (`Batches.counts`): what
    `sohoa batch status` prints, for polling. A `sohoa` subprocess per poll would cost about a
    CPU-second each time, taken from the workers under test."""
    from pipeline.core.batches import Batches
    from pipeline.stores.index import Index

    index = Index(index_url_of(env))
    try:
        batches = Batches(index)
        return batches.counts(batches.resolve_batch_id(batch_id))
    finally:
        index.close()


def wait_for_batch(env: dict[str, str], batch_id: str, timeout: float = 180) -> dict:
    """Wait until nothing of the batch is pending (polled in this process, see `batch_counts`),
    then return `sohoa batch status --json`."""
    from pipeline.core.batches import Batches
    from pipeline.stores.index import Index

    index = Index(index_url_of(env))
    try:
        batches = Batches(index)
        full_id = batches.resolve_batch_id(batch_id)
        wait_for(lambda: batches.counts(full_id).done, timeout, f"batch {batch_id} to finish")
    finally:
        index.close()
    return batch_status(env, batch_id)
