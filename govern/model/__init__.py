"""The model every input maps into: products, the mesh, findings, errors, lineage edges, names.

The bottom layer: it imports nothing else of govern (docs/ARCHITECTURE.md)."""
