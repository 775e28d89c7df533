"""The HTTP and WebSocket clients that carry requests to the services."""
