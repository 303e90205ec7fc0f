"""Prossima: open platform for urban-security cooperation."""

__version__ = "0.1.0"
