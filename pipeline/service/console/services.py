"""What the console's pages use, built once from the same runtime as the API."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.core.access import AccessStore
from pipeline.core.people import People
from pipeline.core.runtime import Runtime
from pipeline.core.sign_queue import SignBatches
from pipeline.core.signing_status import TsaProbe
from pipeline.service.console.oidc import OidcClient, OidcSettings
from pipeline.service.uploads import UploadRunner
from schemas.catalog import Catalog, default_catalog


@dataclass
class ConsoleServices:
    runtime: Runtime
    people: People
    access: AccessStore
    catalog: Catalog
    uploads: UploadRunner
    sign_batches: SignBatches = field(default_factory=SignBatches)
    tsa_probe: TsaProbe = field(default_factory=TsaProbe)  # the admin page's TSA check, kept a minute
    oidc: OidcClient | None = None  # the office's directory, when SOHOA_CONSOLE_OIDC_* are set

    @property
    def settings(self):
        return self.runtime.settings

    @property
    def index(self):
        return self.runtime.index

    @property
    def store(self):
        return self.runtime.store


def build_console_services(runtime: Runtime, uploads: UploadRunner, access: AccessStore | None = None) -> ConsoleServices:
    """The console's services; ``uploads`` is the app's one upload runner (shared with the API)."""
    return ConsoleServices(runtime=runtime, people=People.from_settings(runtime.index, runtime.settings),
                           access=access or AccessStore(runtime.index), catalog=default_catalog(),
                           uploads=uploads, oidc=directory_client(runtime.settings))


def directory_client(settings) -> OidcClient | None:
    """The OpenID Connect client of the office's directory, or None when none is configured."""
    if not (settings.console_oidc_issuer and settings.console_oidc_client_id and settings.console_oidc_client_secret):
        return None
    return OidcClient(OidcSettings(
        issuer=settings.console_oidc_issuer, client_id=settings.console_oidc_client_id,
        client_secret=settings.console_oidc_client_secret.get_secret_value(),
        username_claim=settings.console_oidc_username_claim))
