"""The stats endpoints."""
