"""PostgreSQL notifications between processes: a change one process commits (a revoked API key)
tells the others to forget what they cached, with NOTIFY at commit and LISTEN on one connection
per process, polled without blocking by whoever is about to trust the cache."""

from __future__ import annotations

import logging
import threading
import time

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)


def notify(conn: Connection, channel: str) -> None:
    """Queue a notification on ``channel``; PostgreSQL sends it when ``conn``'s transaction
    commits (never, if it rolls back). Nothing on SQLite, which has no notifications."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": channel})


class Listener:
    """One connection LISTENing on ``channel``.

    `changed()` never blocks: it reads what the connection has received and answers True when
    a notification came (or the listener has just connected: what was cached before it listened
    may have missed one), False when none did, None when not listening (then nothing cached can
    be trusted). `connect()` blocks (call it off the event loop); it is tried at most once every
    ``retry_seconds`` after a failure."""

    def __init__(self, engine: Engine, channel: str, *, retry_seconds: float = 1.0):
        if not channel.isidentifier():
            raise ValueError(f"channel {channel!r} is not a plain identifier")
        args, kwargs = engine.dialect.create_connect_args(engine.url)
        self._connect_args = (args, {**kwargs, "autocommit": True})
        self.channel = channel
        self.retry_seconds = retry_seconds
        self._conn: psycopg.Connection | None = None
        self._fresh = False  # connected since the last changed(): report a change once
        self._next_attempt = 0.0
        self._lock = threading.Lock()

    def connect(self) -> None:
        with self._lock:
            if self._conn is not None or time.monotonic() < self._next_attempt:
                return
            try:
                args, kwargs = self._connect_args
                conn = psycopg.connect(*args, **kwargs)
                conn.execute(f"LISTEN {self.channel}")
            except psycopg.Error as exc:
                self._next_attempt = time.monotonic() + self.retry_seconds
                log.warning("cannot listen for %s notifications (%s); cached keys are not used meanwhile",
                            self.channel, type(exc).__name__)
                return
            self._conn, self._fresh = conn, True

    def changed(self) -> bool | None:
        if not self._lock.acquire(blocking=False):
            return None  # connecting in another thread
        try:
            if self._conn is None:
                return None
            pgconn = self._conn.pgconn
            try:
                pgconn.consume_input()
            except psycopg.Error:
                self._drop()
                return None
            if pgconn.status != psycopg.pq.ConnStatus.OK:
                self._drop()
                return None
            came = self._fresh
            self._fresh = False
            while pgconn.notifies() is not None:
                came = True
            return came
        finally:
            self._lock.release()

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except psycopg.Error:
                pass
        self._conn = None
        self._next_attempt = time.monotonic() + self.retry_seconds
