"""What a rule reads, beyond the product it reports on: the vocabulary rules declare their scope in.

Changed-files mode evaluates a sub-mesh. Which products it must load, and which products a change can
affect, follows from these declarations (govern/incremental/closure.py): a rule that reads its
producers needs them loaded, and a change to a producer re-checks its consumers. A rule that declares
nothing is taken to read the whole mesh (``MESH``): safe, and slow.
"""

from __future__ import annotations

from enum import StrEnum


class Reads(StrEnum):
    """One kind of thing a rule reads to decide about a product."""

    PRODUCT = "product"  # the product's own manifest
    SQL = "sql"  # its own SQL (files named by execution.code, or SQL an importer carried) and their analysis
    PRODUCERS = "producers"  # products its manifest names: declared inputs and their ports, replacedBy, any id
    SQL_PRODUCERS = "sql-producers"  # products owning a table its SQL reads or writes (their ports and columns)
    RUNTIME = "runtime"  # lineage observed at run time (OpenLineage events) and the products they name
    CONSUMERS = "consumers"  # products that read it (declared or observed)
    SAME_ID = "same-id"  # products whose id looks like its own (case, Unicode look-alikes, tombstoned ids)
    SAME_ADDRESS = "same-address"  # products claiming one of its output locations
    GRAPH = "graph"  # the lineage graph around it: the cycles it is on
    PRODUCT_IDS = "product-ids"  # which product ids exist (references, did-you-mean), not the products
    TEAM = "team"  # the products of the team that owns it (a team's domains, without org.yaml)
    ORG = "org"  # org.yaml
    WAIVERS = "waivers"  # waivers.yaml
    CONFIG = "config"  # govern.yaml
    HISTORY = "history"  # the mesh at the git base revision (--base)
    MESH = "mesh"  # everything: what an undeclared rule is taken to read


EVERYTHING = frozenset({Reads.MESH})

# What evaluation reads besides the rules: waivers (which name product ids), org.yaml (look-alike team
# ids), govern.yaml; the product's own manifest and load findings, and the invalid values of the products
# it reads over a lineage edge (govern/evaluate/engine.py reports those with it).
ENGINE_READS = frozenset({Reads.PRODUCT, Reads.PRODUCT_IDS, Reads.WAIVERS, Reads.ORG, Reads.CONFIG,
                          Reads.PRODUCERS, Reads.SQL, Reads.SQL_PRODUCERS, Reads.RUNTIME})


def parse_reads(values: object, where: str) -> frozenset[Reads]:
    """``reads:`` of a rule's metadata (a list of names) as a set; ValueError naming the unknown one."""
    if not isinstance(values, (list, tuple, set, frozenset)):
        raise ValueError(f"{where}: 'reads' must be a list of: {', '.join(r.value for r in Reads)}")
    out = set()
    for value in values:
        try:
            out.add(Reads(value))
        except ValueError:
            from govern.model.suggest import did_you_mean

            raise ValueError(f"{where}: unknown reads '{value}'{did_you_mean(str(value), [r.value for r in Reads])}"
                             ) from None
    return frozenset(out)
