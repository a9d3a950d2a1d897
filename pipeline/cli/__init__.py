"""`sohoa` command line: a thin shell over the core, one module per command group.

Importing a command module registers its commands on the group in `pipeline.cli.app`.
"""

from pipeline.cli import (  # noqa: F401 — registers the commands
    api, db, documents, ingest, jobs, model, regroup, review, separation, sign, sign_external, users, watch,
)
from pipeline.cli.app import cli, main

__all__ = ["cli", "main"]
