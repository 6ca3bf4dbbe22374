"""Pure numpy implementations of published methods, one module per method."""
