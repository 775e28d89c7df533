"""The services; each one a folder of the same shape."""
