"""govern's version and its distribution name (imports nothing, so any layer may read it)."""

__version__ = "0.1.0"
# The distribution name on the package index (``pip install govern-mesh``): ``govern`` there is an
# unrelated project. The import name and the command stay ``govern``.
DISTRIBUTION = "govern-mesh"
