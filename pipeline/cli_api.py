"""`sohoa serve`, `sohoa keys` and `sohoa audit`: thin shells over pipeline.api and pipeline.access."""

from __future__ import annotations

from pipeline.cli import cli, pass_context, stdout, console  # noqa: F401
