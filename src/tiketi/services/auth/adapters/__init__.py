"""Auth's adapters: tables, repositories, password hashing, signing keys, Google's keys."""
