"""One thin wrapper for running external programs: uniform logging, timeouts and our exceptions."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess

from pipeline.errors import SohoaError, ToolMissing
from pipeline.lifetime import die_with_parent

log = logging.getLogger(__name__)


def run_tool(
    command: list[str],
    *,
    timeout: float,
    error: type[SohoaError],
    timeout_error: type[SohoaError] | None = None,
    env: dict[str, str] | None = None,
    install_hint: str | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run `command`, raising `error` with the tool's own message when it fails, `timeout_error`
    (or `error`) when it runs out of time.

    `env` is added to the CHILD's environment only: our own process's environment is never changed,
    so settings such as a thread limit stay per call.
    """
    program = command[0]
    if shutil.which(program) is None:
        hint = f" ({install_hint})" if install_hint else ""
        raise ToolMissing(f"{program} is not installed{hint}")
    extra = "".join(f"{name}={value} " for name, value in (env or {}).items())
    log.debug("running %s%s", extra, " ".join(command))
    try:
        completed = subprocess.run(
            command,
            capture_output=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
            check=False,
            preexec_fn=die_with_parent,  # a killed sohoa leaves no tesseract running on
        )
    except subprocess.TimeoutExpired as exc:
        raise (timeout_error or error)(f"{program} took longer than {timeout:g} s") from exc
    if check and completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = message[-1] if message else f"exit code {completed.returncode}"
        raise error(f"{program} failed: {detail}")
    return completed
