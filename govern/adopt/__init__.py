"""Adoption: ``govern init`` (and ``--from`` a dbt project) and ``govern convert``, over the facade."""
