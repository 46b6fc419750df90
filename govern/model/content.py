"""Content addresses: the digest that tells whether two texts are the same."""

from __future__ import annotations

try:  # the C module alone: hashlib imports OpenSSL, several ms of a pre-commit run
    from _blake2 import blake2b
except ImportError:  # pragma: no cover
    from hashlib import blake2b


def digest(data: bytes) -> bytes:
    """A 32-byte content hash (BLAKE2b) for telling whether a file changed."""
    return blake2b(data, digest_size=32).digest()
