"""What the admin page tells about signing (issue 15 item 7, issue 16): each configured trust
root with its subject and expiry, when the stored signatures were last validated again under the
trust roots and what that found, and whether the timestamp authority answers.

The TSA is asked for a real timestamp (RFC 3161, over a digest of nothing personal) with a short
timeout, and the answer is kept for `TsaProbe.ttl` seconds: the admin page shows a kept answer at
once and otherwise asks for it in a second request, so the page never waits on the TSA.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from pipeline.clock import utcnow
from pipeline.errors import SohoaError
from pipeline.settings import Settings
from pipeline.stages.sign import ValidationSettings
from pipeline.stores.index import Index
from pipeline.stores.index.trust import TrustRecords, TrustState

log = logging.getLogger(__name__)

#: A root that expires within this is shown as expiring soon.
NEAR_EXPIRY = timedelta(days=90)
#: A claim of a re-validation refreshed within this is a re-validation running now.
RUNNING_WITHIN = timedelta(minutes=10)


@dataclass(frozen=True)
class TrustRoot:
    subject: str
    not_before: datetime
    not_after: datetime
    sha256: str  # of the DER certificate

    def state(self, now: datetime) -> str:
        """valid, near_expiry (within NEAR_EXPIRY), expired or not_yet_valid."""
        if now >= self.not_after:
            return "expired"
        if now < self.not_before:
            return "not_yet_valid"
        return "near_expiry" if self.not_after - now <= NEAR_EXPIRY else "valid"

    def days_left(self, now: datetime) -> int:
        """Whole days until it expires, a part of a day counted as one."""
        return max(0, -((now - self.not_after) // timedelta(days=1)))


@dataclass(frozen=True)
class TrustRootsStatus:
    path: Path | None  # SOHOA_TRUST_ROOTS; None: not configured
    roots: tuple[TrustRoot, ...]
    readable: bool  # False: the file cannot be read (the roots are then unknown)
    fingerprint: str | None  # of the set, as the stored validations record it (None: unreadable)


@dataclass(frozen=True)
class RevalidationStatus:
    """The trust_state row, read against the configured roots."""

    state: TrustState
    current: bool  # the stored statuses were validated under the configured roots
    running: bool  # a process is validating them again now

    @property
    def never(self) -> bool:
        return self.state.revalidated_at is None


@dataclass(frozen=True)
class SigningStatus:
    trust: TrustRootsStatus
    revalidation: RevalidationStatus
    checked_at: datetime


def trust_roots_status(settings: Settings) -> TrustRootsStatus:
    """The configured trust roots (SOHOA_TRUST_ROOTS), each with its subject and validity."""
    path = settings.trust_roots
    if path is None:
        empty = ValidationSettings()
        return TrustRootsStatus(None, (), True, empty.trust_roots_sha256)
    try:
        validation = ValidationSettings.from_file(path)
        certificates = validation.roots()
    except (SohoaError, ValueError) as exc:
        log.warning("admin page: the trust roots cannot be read: %s", exc)
        return TrustRootsStatus(Path(path), (), False, None)
    roots = []
    for der, cert in zip(validation.trust_roots, certificates, strict=True):
        validity = cert["tbs_certificate"]["validity"]
        roots.append(TrustRoot(subject=_subject(der, cert), not_before=validity["not_before"].native,
                               not_after=validity["not_after"].native, sha256=hashlib.sha256(der).hexdigest()))
    return TrustRootsStatus(Path(path), tuple(roots), True, validation.trust_roots_sha256)


def _subject(der: bytes, cert) -> str:
    """The subject as RFC 4514 writes it (CN=…,O=…,C=VN): the same in either language."""
    from cryptography import x509 as cx509

    try:
        return cx509.load_der_x509_certificate(der).subject.rfc4514_string()
    except ValueError:  # a certificate cryptography will not parse: asn1crypto's words
        return cert.subject.human_friendly


def revalidation_status(index: Index, fingerprint: str | None, *, now: datetime | None = None) -> RevalidationStatus:
    state = TrustRecords(index).state()
    now = now or utcnow()
    running = bool(state.claimed_by and state.claimed_at and now - state.claimed_at < RUNNING_WITHIN)
    return RevalidationStatus(state, current=fingerprint is not None and state.trust_roots_sha256 == fingerprint,
                              running=running)


def signing_status(settings: Settings, index: Index) -> SigningStatus:
    trust = trust_roots_status(settings)
    now = utcnow()
    return SigningStatus(trust, revalidation_status(index, trust.fingerprint, now=now), now)


# --- the timestamp authority --------------------------------------------------------------------


@dataclass(frozen=True)
class TsaAnswer:
    url: str
    ok: bool
    why: str | None  # no_answer (nothing, or not in time) or bad_answer (not a timestamp)
    milliseconds: int
    checked_at: datetime


class TsaProbe:
    """Whether the TSA answers a timestamp request, asked at most every `ttl` seconds."""

    def __init__(self, ttl: float = 60.0, timeout: float = 3.0):
        self.ttl, self.timeout = ttl, timeout
        self._kept: dict[str, tuple[float, TsaAnswer]] = {}
        self._lock = threading.Lock()

    def kept(self, url: str) -> TsaAnswer | None:
        """The answer of the last check of `url` if it is fresh, else None (nothing is asked)."""
        with self._lock:
            found = self._kept.get(url)
        return found[1] if found and time.monotonic() - found[0] < self.ttl else None

    def check(self, url: str, *, again: bool = False) -> TsaAnswer:
        """The kept answer, or (when there is none fresh, or `again`) a new one: takes at most
        about `timeout` seconds (connection and answer each)."""
        if not again and (answer := self.kept(url)) is not None:
            return answer
        answer = probe_tsa(url, self.timeout)
        with self._lock:
            self._kept[url] = (time.monotonic(), answer)
        return answer


def probe_tsa(url: str, timeout: float) -> TsaAnswer:
    from pipeline.stages.sign_fast import KeptSessionTimeStamper

    started = time.monotonic()
    why = None
    stamper = KeptSessionTimeStamper(url, timeout=timeout)
    try:
        stamper.timestamp_now(hashlib.sha256(b"sohoa: is the timestamp authority answering?").digest(), "sha256")
    except Exception as exc:  # noqa: BLE001 - the answer is the finding
        why = "no_answer" if isinstance(exc.__cause__, OSError) else "bad_answer"
        log.info("timestamp authority %s: %s (%s)", url, why, type(exc).__name__)
    finally:
        stamper._session().close()
    return TsaAnswer(url, why is None, why, round((time.monotonic() - started) * 1000), utcnow())
