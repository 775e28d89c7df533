"""Catalog: venues with seat layouts, events, publishing, posters and search."""
