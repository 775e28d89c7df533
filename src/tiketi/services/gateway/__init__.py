"""The gateway: the split mode's front door, forwarding each path to the service owning it."""
