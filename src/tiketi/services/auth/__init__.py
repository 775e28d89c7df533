"""Auth: accounts, passwords, Google sign-in, access tokens (ES256 + JWKS) and refresh tokens."""
