"""Alembic migrations of the metadata index. Run them with `pipeline.stores.index.upgrade(url)`
(`sohoa db upgrade`); the configuration is built in code, no alembic.ini is needed.

A new migration: `alembic -x url=sqlite:///tmp/x.sqlite3 -c pipeline/stores/migrations/alembic.ini
revision -m "what it does"`, then write its upgrade() for both SQLite and PostgreSQL.
"""
