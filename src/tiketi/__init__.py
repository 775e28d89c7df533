"""Tiketi: a ticketing platform for flash sales."""
