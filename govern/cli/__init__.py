"""The command-line layer: thin click commands over the library (one module per command)."""
