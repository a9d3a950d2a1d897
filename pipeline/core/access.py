"""Who may call the reuse API, and who read what: API keys, scopes, rate limits and the audit log.

Keys are 256-bit random tokens shown once at creation; the index keeps only their SHA-256, which
is enough for tokens that cannot be guessed (the same choice GitHub makes for its tokens). Every
read of personal data writes an audit row with the purpose the client gave (Decree 13/2023 on
personal data asks that access have a purpose and be logged).

An authenticated key is remembered for a short time by the process (`KeyCache`), so that a
request does not ask the index who its key belongs to. A revocation empties the cache of the
process that revoked at once; other processes learn of it within a second: on PostgreSQL by a
notification sent when the revocation commits (a process that cannot listen uses no cache), on
SQLite, which has no notifications, because a key is remembered for one second only.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote

from sqlalchemy import event, insert, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from pipeline.errors import SohoaError
from pipeline.clock import utcnow
from pipeline.stores.index import AuditRecord, Index
from pipeline.stores.index.notices import Listener, notify
from pipeline.stores.index.tables import api_keys, audit_log

SCOPES = ("documents:read", "documents:write", "documents:sign", "admin")
KEY_PREFIX = "sohoa_"


class AccessError(SohoaError):
    code = "bad_key_request"
    exit_code = 2


@dataclass(frozen=True)
class ApiClient:
    """An authenticated client service: its name, scopes and the document types it may read."""

    name: str
    scopes: frozenset[str]
    doc_types: frozenset[str] | None = None  # None: every type

    def has_scope(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes

    def may_read_type(self, doc_type: str | None) -> bool:
        if self.doc_types is None or "admin" in self.scopes:
            return True
        return doc_type in self.doc_types


@dataclass(frozen=True)
class CreatedKey:
    client: ApiClient
    key: str  # shown once; only its hash is stored


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    client: str
    action: str
    target: str
    owner_id: str | None
    purpose: str | None
    outcome: int


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


#: The notification channel a revocation is announced on (PostgreSQL).
KEYS_CHANGED = "sohoa_api_keys"
#: How long a process trusts a key it authenticated, when revocations elsewhere are announced
#: (PostgreSQL): the bound on a notification that never came (a connection lost silently).
NOTIFIED_KEY_SECONDS = 10.0
#: How long a process trusts a key it authenticated when nothing announces a revocation made by
#: another process (SQLite): revocation takes effect everywhere within this time.
UNNOTIFIED_KEY_SECONDS = 1.0


class KeyCache:
    """Clients authenticated lately, by key hash, shared by every `AccessStore` of one index in
    a process (`key_cache_of`). Unknown and revoked keys are never remembered: a key created a
    moment ago works at once.

    ``listener``: announces revocations made by other processes; while it is not listening,
    nothing is trusted. A lookup of the index that began before the cache was emptied is not
    remembered (``generation``): it may have read a key that was revoked meanwhile."""

    def __init__(self, seconds: float, listener: Listener | None = None, *,
                 clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.listener = listener
        self.clock = clock
        self._clients: dict[str, tuple[ApiClient, float]] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def get(self, key_hash: str) -> ApiClient | None:
        """The client of a key authenticated less than ``seconds`` ago, or None: ask the index.
        Never blocks (the API calls it on its event loop)."""
        if self.listener is not None:
            changed = self.listener.changed()
            if changed is None:
                return None
            if changed:
                self.forget_all()
        found = self._clients.get(key_hash)
        if found is None or found[1] <= self.clock():
            return None
        return found[0]

    def generation(self) -> int:
        """Taken before the index is asked about a key, and handed back to `put`."""
        if self.listener is not None:
            self.listener.connect()
            if self.listener.changed():
                self.forget_all()
        return self._generation

    def put(self, key_hash: str, client: ApiClient, generation: int) -> None:
        with self._lock:
            if generation == self._generation:
                self._clients[key_hash] = (client, self.clock() + self.seconds)

    def forget_all(self) -> None:
        with self._lock:
            self._generation += 1
            self._clients.clear()

    def close(self) -> None:
        self.forget_all()
        if self.listener is not None:
            self.listener.close()


_key_caches: weakref.WeakKeyDictionary[Engine, KeyCache] = weakref.WeakKeyDictionary()
_key_caches_lock = threading.Lock()


def key_cache_of(engine: Engine) -> KeyCache:
    """The process's cache of keys authenticated against this index (made on first use; closed,
    with its listening connection, when the engine is disposed)."""
    cache = _key_caches.get(engine)
    if cache is not None:
        return cache
    with _key_caches_lock:
        cache = _key_caches.get(engine)
        if cache is None:
            if engine.dialect.name == "postgresql":
                cache = KeyCache(NOTIFIED_KEY_SECONDS, Listener(engine, KEYS_CHANGED))
            else:
                cache = KeyCache(UNNOTIFIED_KEY_SECONDS)
            _key_caches[engine] = cache
            if not event.contains(engine, "engine_disposed", _close_key_cache):
                event.listen(engine, "engine_disposed", _close_key_cache)
    return cache


def _close_key_cache(engine: Engine) -> None:
    with _key_caches_lock:
        cache = _key_caches.pop(engine, None)
    if cache is not None:
        cache.close()


def audit_record(client: str, action: str, target: str, *, owner_id: str | None = None,
                 purpose: str | None = None, outcome: int = 200) -> AuditRecord:
    """The audit row of a read, as `AccessStore.audit` writes it (the purpose cut at 500 characters)."""
    return AuditRecord(at=utcnow(), client=client, action=action, target=target, owner_id=owner_id,
                       purpose=(purpose or "")[:500] or None, outcome=outcome)


class AccessStore:
    """API keys and the audit log, in the index database (tables of migration 0005)."""

    def __init__(self, index: Index):
        self.engine = index.engine

    # --- keys ----------------------------------------------------------------------------------

    def create_key(
        self, name: str, scopes: Sequence[str], doc_types: Sequence[str] | None = None
    ) -> CreatedKey:
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown or not scopes:
            raise AccessError(f"scopes must be some of {', '.join(SCOPES)}; got {', '.join(unknown) or 'none'}")
        if not name.strip():
            raise AccessError("a key needs a name (the client service it is for)")
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(api_keys).values(
                    name=name.strip(), key_hash=hash_key(key), key_prefix=key[:12],
                    scopes=json.dumps(sorted(set(scopes))),
                    doc_types=json.dumps(sorted(set(doc_types))) if doc_types else None,
                    created_at=utcnow(),
                ))
        except IntegrityError as exc:
            raise AccessError(f"a key named {name!r} exists already; revoke it first") from exc
        client = ApiClient(name.strip(), frozenset(scopes),
                           frozenset(doc_types) if doc_types else None)
        return CreatedKey(client, key)

    def revoke_key(self, name: str) -> bool:
        """Revoke a key: refused at once by this process, within a second by the others (the
        notification goes out with the commit)."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(api_keys).where(api_keys.c.name == name, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
            if result.rowcount:
                notify(conn, KEYS_CHANGED)
        if result.rowcount:
            cache = _key_caches.get(self.engine)
            if cache is not None:
                cache.forget_all()
        return result.rowcount > 0

    def cached_client(self, key: str) -> ApiClient | None:
        """The client of a key this process authenticated a moment ago, or None (then call
        `authenticate`); never blocks."""
        if not key.startswith(KEY_PREFIX):
            return None
        return key_cache_of(self.engine).get(hash_key(key))

    def authenticate(self, key: str) -> ApiClient | None:
        """The client a presented key belongs to, or None for an unknown or revoked key."""
        if not key.startswith(KEY_PREFIX):
            return None
        key_hash = hash_key(key)
        cache = key_cache_of(self.engine)
        known = cache.get(key_hash)
        if known is not None:
            return known
        generation = cache.generation()
        with self.engine.connect() as conn:
            found = conn.execute(
                select(api_keys.c.name, api_keys.c.scopes, api_keys.c.doc_types)
                .where(api_keys.c.key_hash == key_hash, api_keys.c.revoked_at.is_(None))
            ).first()
        if found is None:
            return None
        doc_types = json.loads(found.doc_types) if found.doc_types else None
        client = ApiClient(found.name, frozenset(json.loads(found.scopes)),
                           frozenset(doc_types) if doc_types else None)
        cache.put(key_hash, client, generation)
        return client

    def list_keys(self) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(
                api_keys.c.name, api_keys.c.key_prefix, api_keys.c.scopes, api_keys.c.doc_types,
                api_keys.c.created_at, api_keys.c.revoked_at,
            ).order_by(api_keys.c.name)).mappings().all()
        return [
            {**row, "scopes": json.loads(row["scopes"]),
             "doc_types": json.loads(row["doc_types"]) if row["doc_types"] else None}
            for row in rows
        ]

    # --- audit ---------------------------------------------------------------------------------

    def audit(
        self, client: str, action: str, target: str, *, owner_id: str | None = None,
        purpose: str | None = None, outcome: int = 200,
    ) -> None:
        row = audit_record(client, action, target, owner_id=owner_id, purpose=purpose, outcome=outcome)
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # An audit row costs no disk flush of its own: a crash may lose the last few
                # hundred milliseconds of audit rows, never corrupt them (PostgreSQL docs, 28.4).
                conn.execute(text("SET LOCAL synchronous_commit = off"))
            conn.execute(insert(audit_log).values(**row.__dict__))

    def audit_entries(
        self, *, owner_id: str | None = None, client: str | None = None,
        since: datetime | None = None, limit: int = 1000, target: str | None = None,
    ) -> list[AuditEntry]:
        """Newest first; ``target``: reads of this document (its id, or id/version)."""
        query = select(audit_log).order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(limit)
        if target:
            query = query.where((audit_log.c.target == target)
                                | audit_log.c.target.startswith(target + "/", autoescape=True))
        if owner_id:
            query = query.where(audit_log.c.owner_id == owner_id)
        if client:
            query = query.where(audit_log.c.client == client)
        if since:
            query = query.where(audit_log.c.at >= since)
        with self.engine.connect() as conn:
            return [AuditEntry(**row) for row in conn.execute(query).mappings()]


class RateLimiter:
    """At most ``per_minute`` requests per client in any sliding 60 s window, in this process.

    Each API process counts on its own: N processes allow up to N × the limit, which is the
    documented behaviour (a shared counter in Redis would cost a round trip per request).
    """

    def __init__(self, per_minute: int, *, clock=time.monotonic):
        self.per_minute = per_minute
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> tuple[bool, float]:
        """(allowed, seconds until the next request would be allowed)."""
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and hits[0] <= now - 60.0:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return False, max(0.0, hits[0] + 60.0 - now)
            hits.append(now)
            return True, 0.0


_PERSONAL_ID = re.compile(r"(?<!\d)\d{12}(?!\d)")


def mask_personal_ids(text: str) -> str:
    """Any 12-digit number in a log line (a URL, a message) masked like `mask_owner_id`.

    Percent-encoding is decoded first (up to four times: `0792030012%334`, `…%25334`), so an
    encoded digit does not hide an ID; the text comes back decoded, with no encoded digit left
    for a reader to decode. Control characters are shown as ``\\xNN`` so that a log line stays
    one line."""
    decoded = text
    for _ in range(4):
        once = unquote(decoded, errors="replace")
        if once == decoded:
            break
        decoded = once
    masked = _PERSONAL_ID.sub(lambda m: mask_owner_id(m.group()), decoded)
    return "".join(c if c.isprintable() or c == " " else f"\\x{ord(c):02x}" for c in masked)


def mask_owner_id(owner_id: str | None) -> str:
    """A personal ID as it may appear in logs: the last three digits only."""
    if not owner_id:
        return "-"
    return "*" * max(0, len(owner_id) - 3) + owner_id[-3:]
