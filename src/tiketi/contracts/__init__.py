"""Integration events and DTOs shared between services."""
