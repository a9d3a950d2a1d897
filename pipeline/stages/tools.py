"""One thin wrapper for running external programs: uniform logging, timeouts and our exceptions."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess

from pipeline.errors import SohoaError, ToolMissing

log = logging.getLogger(__name__)


def run_tool(
    command: list[str],
    *,
    timeout: float,
    error: type[SohoaError],
    env: dict[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run `command`, raising `error` with the tool's own message when it fails or times out."""
    program = command[0]
    if shutil.which(program) is None:
        raise ToolMissing(f"{program} is not installed")
    log.debug("running %s", " ".join(command))
    try:
        completed = subprocess.run(
            command,
            capture_output=True,
            timeout=timeout,
            env={**os.environ, "OMP_THREAD_LIMIT": "1", **(env or {})},
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise error(f"{program} took longer than {timeout:.0f} s") from exc
    if check and completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = message[-1] if message else f"exit code {completed.returncode}"
        raise error(f"{program} failed: {detail}")
    return completed
