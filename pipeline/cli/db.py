"""`sohoa db`: index database maintenance."""

from __future__ import annotations

from pipeline.cli.app import cli, pass_runtime, stdout
from pipeline.core.runtime import Runtime


@cli.group()
def db() -> None:
    """Index database maintenance."""


@db.command()
@pass_runtime
def upgrade(rt: Runtime) -> None:
    """Apply schema migrations to the index (SOHOA_DATABASE_URL)."""
    from pipeline.stores.index import upgrade as upgrade_index

    head = upgrade_index(rt.settings.index_url)
    stdout.print(f"index at schema {head}")
