"""Stats' use cases: the projection's handlers, reads, live pushes and the rebuild."""
