"""Loading: YAML and paths inside the mesh root, discovery, manifests, importers of other formats, git.

Imports only govern.model."""
