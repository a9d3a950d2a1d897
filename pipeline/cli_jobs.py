"""`sohoa worker`, `sohoa batch` and `sohoa jobs`: thin shells over workers/."""

from __future__ import annotations

from pipeline.cli import cli, pass_context, stdout, console  # noqa: F401
