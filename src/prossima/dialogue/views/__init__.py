"""Pages of participation, one module per part."""
