"""The gateway's catch-all routes."""
