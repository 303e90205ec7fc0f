"""Reads of the reports app, one module per part.

Indicators, the open-data catalogue and research extracts.
"""
