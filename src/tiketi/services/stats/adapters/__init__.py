"""Stats' tables, queries and the waiting room's figures in Redis."""
