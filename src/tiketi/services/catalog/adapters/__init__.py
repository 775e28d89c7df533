"""Catalog's adapters: tables, repositories, cache and poster storage."""
