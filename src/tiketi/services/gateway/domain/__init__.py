"""Pure rules of the gateway: which service owns a path, and the errors of forwarding."""
