"""Caches and incremental state: sealed files, the mesh index, the pack cache, what a change affects.

Below the facade: ``govern.api`` and ``govern.ci`` call it; it never imports them (import-linter).
A cache here can make a run faster, never different."""
