"""Child processes die with their parent: a killed `sohoa ingest` leaves no page worker (and no
Tesseract under it) running on.

Linux's PR_SET_PDEATHSIG sends the child a signal when the process (thread) that started it ends,
however it ended — kill -9 included, which no handler of ours could catch. Elsewhere this is a
no-op: children then end when they next find their parent gone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import signal
import sys

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def _load_prctl():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    except OSError as exc:  # no libc to load: nothing to ask
        log.debug("cannot ask to die with the parent: %s", exc)
        return None


# Looked up once, here: a forked child about to exec a tool must only call it, not load libraries.
_prctl = _load_prctl()


def die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent dies: call it first thing in a child
    (a pool's initializer, or `preexec_fn` of a tool's process)."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
