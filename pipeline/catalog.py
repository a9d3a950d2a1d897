"""The catalogs the pipeline uses (re-exported from schemas.catalog so stages import one place)."""

from schemas.catalog import Catalog, CatalogError, DocumentType, Procedure, default_catalog, load_catalog

__all__ = ["Catalog", "CatalogError", "DocumentType", "Procedure", "default_catalog", "load_catalog"]
