"""The API's endpoints, one router per group, in the order the OpenAPI document lists them."""

from pipeline.service.api.routes.documents import document_routes
from pipeline.service.api.routes.dossiers import dossier_routes
from pipeline.service.api.routes.external import external_routes
from pipeline.service.api.routes.reuse import reuse_routes
from pipeline.service.api.routes.search import search_routes
from pipeline.service.api.routes.service import service_routes
from pipeline.service.api.routes.signatures import signature_routes

ROUTERS = (service_routes, document_routes, signature_routes, external_routes, reuse_routes, dossier_routes, search_routes)
