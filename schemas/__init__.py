"""Contracts and catalogs as data: pydantic models, their JSON Schema exports, YAML catalogs."""
