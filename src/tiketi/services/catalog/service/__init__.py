"""Catalog use cases. Each takes keyword-only arguments and owns its transaction."""
