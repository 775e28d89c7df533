"""Auth rules with no I/O: emails, names, roles, password policy, token claims."""
