"""The console's pages, one module per area."""

from pipeline.service.console.routes.auth import auth_routes
from pipeline.service.console.routes.documents import document_routes
from pipeline.service.console.routes.intake import intake_routes
from pipeline.service.console.routes.review import review_routes
from pipeline.service.console.routes.sign import sign_routes
from pipeline.service.console.routes.stats import stats_routes

ROUTERS = [auth_routes, review_routes, document_routes, intake_routes, stats_routes, sign_routes]
