"""What every service needs and nothing business-specific."""
