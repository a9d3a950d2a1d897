"""Helpers for the worker tests: a throwaway redis-server, a RabbitMQ virtual host, quick scans,
and `sohoa worker` subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from conftest import REPO, run_cli
from pipeline.samples import FONT_DIR, FONT_FILES
from s3server import free_port

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


class RedisServer:
    """A redis-server of this test only, on a free port, without persistence (like the default
    compose redis after a restart: its queues are gone)."""

    def __init__(self, tmp: Path):
        self.port = free_port()
        self.dir = tmp
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed")
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def rabbit_url():
    """A RabbitMQ virtual host of this test only on the shared server (guest/guest)."""
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is not installed: no RabbitMQ")
    vhost = f"sohoa-test-{uuid.uuid4().hex[:8]}"
    made = subprocess.run(["rabbitmqctl", "add_vhost", vhost], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"RabbitMQ not usable: {made.stderr.strip()[:200]}")
    subprocess.run(["rabbitmqctl", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
                   check=True, capture_output=True)
    yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    subprocess.run(["rabbitmqctl", "delete_vhost", vhost], capture_output=True)


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


def wait_for_batch(env: dict[str, str], batch_id: str, timeout: float = 180) -> dict:
    return wait_for(lambda: (s := batch_status(env, batch_id))["done"] and s, timeout,
                    f"batch {batch_id} to finish")
