"""Catalog over HTTP."""
