"""Catalog rules with no I/O: layouts, events, sale state, poster images."""
