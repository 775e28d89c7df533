"""Catalog over HTTP: routes, schemas and route dependencies."""
