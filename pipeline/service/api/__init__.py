"""The reuse service: an HTTP API over the index and the object store (`sohoa serve`).

Other services find an owner's papers on file, download them (signed where signed), learn what a
procedure still needs, open dossiers that reuse documents by reference, and upload new papers.
Every response error is RFC 9457 problem+json with a stable ``code``; every read of personal data
is audited with the purpose the client gave in ``X-Purpose``.
"""

from pipeline.service.api.app import app_from_environment, create_app
from pipeline.service.api.problems import ApiProblem
from pipeline.service.api.services import ApiServices, build_services

__all__ = ["ApiProblem", "ApiServices", "app_from_environment", "build_services", "create_app"]
