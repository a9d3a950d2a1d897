"""Accounts of the people who use the console (migration 0008): the users table and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from pipeline.clock import aware
from pipeline.stores.index.index import Index
from pipeline.stores.index.tables import users


@dataclass(frozen=True)
class UserRow:
    username: str
    full_name: str
    office: str
    role: str
    password_hash: str
    active: bool
    failed_logins: int
    locked_until: datetime | None
    password_set_at: datetime
    created_at: datetime
    last_login_at: datetime | None


class UserExists(Exception):
    pass


class UserAccounts:
    """The users table."""

    def __init__(self, index: Index):
        self.engine = index.engine

    def add(self, row: UserRow) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(users).values(**row.__dict__))
        except IntegrityError as exc:
            raise UserExists(row.username) from exc

    def find(self, username: str) -> UserRow | None:
        with self.engine.connect() as conn:
            found = conn.execute(select(users).where(users.c.username == username)).mappings().first()
        return _row(found) if found else None

    def all(self) -> list[UserRow]:
        with self.engine.connect() as conn:
            return [_row(m) for m in conn.execute(select(users).order_by(users.c.username)).mappings()]

    def update(self, username: str, **values) -> bool:
        with self.engine.begin() as conn:
            return conn.execute(update(users).where(users.c.username == username).values(**values)).rowcount > 0

    def count_failure(self, username: str, *, lock_after: int, locked_until: datetime) -> int:
        """One more failed login in a row; at ``lock_after`` the account is locked until
        ``locked_until``. Counted in the database (one statement), so that every server process
        sees the same count. Returns the count."""
        with self.engine.begin() as conn:
            conn.execute(update(users).where(users.c.username == username)
                         .values(failed_logins=users.c.failed_logins + 1))
            count = conn.execute(select(users.c.failed_logins).where(users.c.username == username)).scalar() or 0
            if count >= lock_after:
                conn.execute(update(users).where(users.c.username == username)
                             .values(locked_until=locked_until, failed_logins=0))
        return count


def _row(mapping) -> UserRow:
    values = dict(mapping)
    for name in ("locked_until", "password_set_at", "created_at", "last_login_at"):
        if values[name] is not None:
            values[name] = aware(values[name])
    return UserRow(**values)
