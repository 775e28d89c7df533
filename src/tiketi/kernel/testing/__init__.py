"""Helpers for tests: throwaway engines and the like."""
