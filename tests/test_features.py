"""Every scenario in tests/features/*.feature runs as a test."""

from pytest_bdd import scenarios

scenarios(".")
