"""Stats' figures and rules: no I/O."""
