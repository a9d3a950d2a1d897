"""Opening the index database: the engine, SQLite's pragmas and the Alembic migrations."""

from __future__ import annotations

import ast
import fcntl
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import StaticPool

from pipeline.errors import StorageUnavailable


class SchemaNotCurrent(StorageUnavailable):
    """The PostgreSQL index is older (or newer) than this version of sohoa expects."""

    code = "schema_not_current"


class IndexConnection:
    """An open index database, the base of every part of `Index`.

    ``upgrade``: apply pending migrations when opening. Always done for SQLite (embedded, one
    owner); for PostgreSQL it defaults to False and an outdated schema raises SchemaNotCurrent.
    """

    def __init__(self, url: str, *, upgrade: bool | None = None):
        self.url = url
        self.engine: Engine = _engine(url)
        self._reads_engine: Engine | None = None
        is_sqlite = self.engine.dialect.name == "sqlite"
        try:
            if upgrade or (upgrade is None and is_sqlite):
                _upgrade_engine(self.engine)
            else:
                _check_at_head(self.engine, self.safe_url)
        except OperationalError as exc:
            self.engine.dispose()
            raise StorageUnavailable(f"index {self.safe_url} unavailable: {exc.orig}") from exc
        except BaseException:
            self.engine.dispose()
            raise

    @property
    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        if self._reads_engine is not None and self._reads_engine is not self.engine:
            self._reads_engine.dispose()
        self.engine.dispose()

    @property
    def reads_engine(self) -> Engine:
        """The engine of the API's audited reads (`AuditedReadsIndex`), made on first use.

        Each request takes one connection and runs one transaction on it, so the pool is not
        pinged before each checkout (a round trip per request); a connection found dead is thrown
        away and the read tried once more on a fresh one (`AuditedReadsIndex`). Its writes are
        only audit rows, committed without waiting for their own disk flush (PostgreSQL's
        ``synchronous_commit = off``, SQLite's ``synchronous = NORMAL`` in WAL mode): a crash may
        lose the last fraction of a second of audit rows, never corrupt them."""
        if self._reads_engine is None:
            self._reads_engine = _reads_engine(self.url, self.engine)
        return self._reads_engine

    def ping(self) -> None:
        """Raise StorageUnavailable unless the database answers (a readiness probe)."""
        try:
            with self._connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError as exc:
            raise StorageUnavailable(f"index {self.safe_url} unavailable: {exc.orig}") from exc

    def _connect(self) -> Connection:
        try:
            return self.engine.connect()
        except OperationalError as exc:
            raise StorageUnavailable(f"index {self.safe_url} unavailable: {exc.orig}") from exc


# --- engine and migrations -------------------------------------------------------------------

def _engine(url: str) -> Engine:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    # A database error's text would list the statement's parameters (owner IDs, purposes…),
    # and error texts reach logs: they are hidden.
    if url in ("sqlite://", "sqlite:///:memory:"):
        engine = create_engine(url, poolclass=StaticPool, hide_parameters=True,
                               connect_args={"check_same_thread": False})
    else:
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _reads_engine(url: str, engine: Engine) -> Engine:
    if isinstance(engine.pool, StaticPool):  # an in-memory SQLite lives on its one connection
        return engine
    if engine.dialect.name == "sqlite":
        # one connection per process: SQLite writes one transaction at a time anyway, and threads
        # queueing here wait less than on the database's busy timeout
        reads = create_engine(url, hide_parameters=True, pool_size=1, max_overflow=0, pool_timeout=60)
        event.listen(reads, "connect", _sqlite_pragmas)
        event.listen(reads, "connect", _sqlite_audit_pragmas)
        return reads
    # autocommit: a single statement is its own transaction, with no BEGIN and COMMIT round trips
    reads = create_engine(url, hide_parameters=True, isolation_level="AUTOCOMMIT")
    event.listen(reads, "connect", _postgresql_audit_settings)
    return reads


def _sqlite_audit_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def _postgresql_audit_settings(dbapi_connection, _record) -> None:
    dbapi_connection.execute("SET synchronous_commit = off")
    dbapi_connection.commit()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def upgrade(url: str) -> str:
    """Bring the index at ``url`` to the newest schema (``sohoa db upgrade``); returns the head."""
    engine = _engine(url)
    try:
        return _upgrade_engine(engine)
    except OperationalError as exc:
        safe = engine.url.render_as_string(hide_password=True)
        raise StorageUnavailable(f"index {safe} unavailable: {exc.orig}") from exc
    finally:
        engine.dispose()


def schema_revision(url: str) -> tuple[str | None, str]:
    """(revision the database is at, revision this code expects)."""
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return _current_revision(conn), _head_revision()
    finally:
        engine.dispose()


def _alembic_config(connection: Connection | None = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent.parent / "migrations"))
    config.attributes["connection"] = connection
    return config


_VERSIONS = Path(__file__).parent.parent / "migrations" / "versions"


@functools.cache
def _head_revision() -> str:
    """The newest migration. Every command opens the index, and loading Alembic's script directory
    costs more than the rest of a short command: the scripts' `revision` and `down_revision` are
    read as text, and Alembic is asked only when they do not name exactly one head (it then
    raises its own error)."""
    revisions, parents = set(), set()
    for path in _VERSIONS.glob("*.py"):
        assigned = _literal_assignments(path, {"revision", "down_revision"})
        if "revision" in assigned:
            revisions.add(assigned["revision"])
            down = assigned.get("down_revision")
            parents.update(down if isinstance(down, (tuple, list)) else [down])
    heads = revisions - parents
    if len(heads) == 1:
        return heads.pop()
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def _literal_assignments(path: Path, names: set[str]) -> dict[str, object]:
    """``name = <literal>`` (or ``name: T = <literal>``) at the top level of a Python file."""
    found: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign) and node.value is not None else []
        for target in targets:
            if isinstance(target, ast.Name) and target.id in names:
                found[target.id] = ast.literal_eval(node.value)
    return found


def _current_revision(conn: Connection) -> str | None:
    """The revision the database is at (None: never migrated), read from Alembic's own table."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(versions) > 1:  # branches: Alembic says what is wrong
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn).get_current_revision()
    return versions[0] if versions else None


def _upgrade_engine(engine: Engine) -> str:
    """Apply pending migrations, one process at a time: two commands started at once on a new
    index must not both create the schema (the loser would fail half-way)."""
    head = _head_revision()
    with engine.connect() as conn:
        if _current_revision(conn) == head:
            return head
    with _migration_lock(engine), engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        if _current_revision(conn) != head:  # another process may have upgraded meanwhile
            _migrate(conn)
    return head


def _migrate(conn: Connection) -> None:
    from alembic import command

    if _current_revision(conn) is None and inspect(conn).has_table("documents"):
        # An index made before migrations existed holds the 0001 schema.
        command.stamp(_alembic_config(conn), "0001")
    command.upgrade(_alembic_config(conn), "head")


#: PostgreSQL advisory lock held while migrating ("sohoa" in ASCII).
_MIGRATION_LOCK_KEY = 0x736F686F61


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """A lock file beside an SQLite database (PostgreSQL uses an advisory lock instead)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _check_at_head(engine: Engine, safe_url: str) -> None:
    head = _head_revision()
    with engine.connect() as conn:
        current = _current_revision(conn)
    if current != head:
        raise SchemaNotCurrent(
            f"index {safe_url} has schema {current or 'none'}, this sohoa needs {head}: "
            "run `sohoa db upgrade`"
        )
