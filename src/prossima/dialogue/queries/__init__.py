"""Reads of participation worth a name, one module per part."""
