"""`sohoa sign` and `sohoa verify-signature`: thin shells over pipeline.sign."""

from __future__ import annotations

from pipeline.cli import cli, pass_context, stdout, console  # noqa: F401
