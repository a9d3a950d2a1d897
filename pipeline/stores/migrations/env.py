"""Alembic environment: runs on the connection sohoa hands over (`config.attributes`), or on
`-x url=…` when a developer runs the alembic command line."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

config = context.config


def run(connection) -> None:
    context.configure(
        connection=connection,
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("give the index URL: alembic -x url=sqlite:///… ")
    engine = create_engine(url)
    with engine.begin() as conn:
        run(conn)
    engine.dispose()
