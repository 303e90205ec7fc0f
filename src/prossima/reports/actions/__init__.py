"""Writes of the reports app, one module per part: indicators and research extracts."""
