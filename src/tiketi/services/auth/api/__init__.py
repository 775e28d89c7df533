"""Auth's HTTP layer under /api/v1/auth."""
