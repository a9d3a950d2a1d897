"""People who use the console: their accounts, roles, passwords and log-ins.

Accounts are separate from API keys (those are for client services). Passwords are hashed with
argon2id (argon2-cffi, RFC 9106 parameters); a log-in checks the hash, counts failures in a row in
the database and locks the account for a while after too many. What each role may open is one
table, `PAGES_BY_ROLE`, read by the console and its tests.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pipeline.clock import utcnow
from pipeline.errors import SohoaError
from pipeline.settings import Settings
from pipeline.stores.index import Index
from pipeline.stores.index.users import UserAccounts, UserExists, UserRow

log = logging.getLogger(__name__)

ROLES = ("clerk", "reviewer", "official", "admin")
MIN_PASSWORD_CHARS = 10
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")

#: The console's areas and the roles that may open them. A clerk takes in dossiers, reviews,
#: searches and sees documents, dossiers and figures; a reviewer reviews, searches and sees
#: documents; an official has the reviewer's pages (and the sign queue, issue 13); an admin all.
PAGES_BY_ROLE: dict[str, frozenset[str]] = {
    "clerk": frozenset({"intake", "review", "search", "documents", "dossiers", "stats"}),
    "reviewer": frozenset({"review", "search", "documents"}),
    "official": frozenset({"review", "search", "documents", "sign"}),
    "admin": frozenset({"intake", "review", "search", "documents", "dossiers", "stats", "sign", "admin"}),
}

_hasher = PasswordHasher()


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash of nothing anyone knows: an unknown name costs the same verification as a known one,
    so the time of an answer does not tell which names exist. Made on the first log-in, not at
    import: an argon2 hash costs ~0.25 CPU-s, which every `sohoa` command (each ingest, each
    worker) paid before doing anything."""
    return _hasher.hash(secrets.token_urlsafe(16))


class PeopleError(SohoaError):
    code = "bad_user_request"
    exit_code = 2


class LoginRefused(SohoaError):
    """A log-in that did not succeed; ``reason`` is bad_credentials, locked or disabled (the
    console shows the same message for an unknown name and a wrong password)."""

    code = "login_refused"

    def __init__(self, reason: str, until: datetime | None = None):
        super().__init__(reason)
        self.reason, self.until = reason, until


@dataclass(frozen=True)
class Person:
    username: str
    full_name: str
    office: str
    role: str
    active: bool
    locked_until: datetime | None
    password_set_at: datetime
    created_at: datetime
    last_login_at: datetime | None

    def may(self, page: str) -> bool:
        return self.active and page in PAGES_BY_ROLE.get(self.role, frozenset())

    @property
    def shown_name(self) -> str:
        return self.full_name or self.username


def _person(row: UserRow) -> Person:
    return Person(row.username, row.full_name, row.office, row.role, row.active, row.locked_until,
                  row.password_set_at, row.created_at, row.last_login_at)


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise PeopleError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    if password != password.strip() or any(not c.isprintable() for c in password):
        raise PeopleError("a password may not start or end with spaces or hold control characters")
    return unicodedata.normalize("NFC", password)


class People:
    """Accounts in the index database, and log-ins against them."""

    def __init__(self, index: Index, *, max_failures: int = 5, lockout: timedelta = timedelta(minutes=15)):
        self.accounts = UserAccounts(index)
        self.max_failures, self.lockout = max_failures, lockout

    @classmethod
    def from_settings(cls, index: Index, settings: Settings) -> People:
        return cls(index, max_failures=settings.console_max_failures,
                   lockout=timedelta(minutes=settings.console_lockout_minutes))

    def create(self, username: str, role: str, password: str, *, full_name: str = "", office: str = "") -> Person:
        name = username.strip().lower()
        if not _USERNAME.fullmatch(name):
            raise PeopleError("a user name is 2-64 lower-case letters, digits, '.', '_' or '-', "
                              "starting with a letter or digit")
        if role not in ROLES:
            raise PeopleError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        now = utcnow()
        row = UserRow(name, unicodedata.normalize("NFC", full_name.strip()),
                      unicodedata.normalize("NFC", office.strip()), role,
                      _hasher.hash(check_password(password)), True, 0, None, now, now, None)
        try:
            self.accounts.add(row)
        except UserExists:
            raise PeopleError(f"a user named {name!r} exists already") from None
        return _person(row)

    def get(self, username: str) -> Person | None:
        row = self.accounts.find(username)
        return _person(row) if row else None

    def list(self) -> list[Person]:
        return [_person(r) for r in self.accounts.all()]

    def disable(self, username: str) -> None:
        if not self.accounts.update(username, active=False):
            raise PeopleError(f"no user named {username!r}")

    def reset_password(self, username: str, password: str) -> None:
        """A new password; sessions made with the old one end, and a lock-out is lifted."""
        hashed = _hasher.hash(check_password(password))
        if not self.accounts.update(username, password_hash=hashed, password_set_at=utcnow(),
                                    failed_logins=0, locked_until=None):
            raise PeopleError(f"no user named {username!r}")

    def log_in(self, username: str, password: str, *, now: datetime | None = None) -> Person:
        """The person whose name and password these are; LoginRefused otherwise."""
        now = now or utcnow()
        row = self.accounts.find(username.strip().lower()) if username else None
        if row is None:
            _verify(_dummy_hash(), password)
            raise LoginRefused("bad_credentials")
        if row.locked_until and row.locked_until > now:
            raise LoginRefused("locked", row.locked_until)
        if not _verify(row.password_hash, password):
            count = self.accounts.count_failure(row.username, lock_after=self.max_failures,
                                                locked_until=now + self.lockout)
            if count >= self.max_failures:
                log.warning("console account %s locked after %d failed log-ins", row.username, count)
                raise LoginRefused("locked", now + self.lockout)
            raise LoginRefused("bad_credentials")
        if not row.active:
            raise LoginRefused("disabled")
        values = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
        if _hasher.check_needs_rehash(row.password_hash):
            values["password_hash"] = _hasher.hash(password)
        self.accounts.update(row.username, **values)
        return _person(row)


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, unicodedata.normalize("NFC", password))
    except (VerificationError, InvalidHashError):
        return False


def session_secret(settings: Settings) -> bytes:
    """The key that signs console sessions: SOHOA_CONSOLE_SECRET, else one made once (256 random
    bits) into $SOHOA_HOME/console.secret, readable by its owner only."""
    if settings.console_secret is not None:
        return settings.console_secret.get_secret_value().encode("utf-8")
    path: Path = settings.resolved_home / "console.secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        made = path.with_name(f".console.secret.{secrets.token_hex(4)}")
        made.write_text(secrets.token_hex(32), encoding="ascii")
        made.chmod(0o600)
        try:
            os.link(made, path)  # two servers starting at once: the first one's key stays
        except FileExistsError:
            pass
        finally:
            made.unlink()
    return path.read_text(encoding="ascii").strip().encode("ascii")
