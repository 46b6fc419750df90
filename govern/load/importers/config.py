"""Options of the importers, read from the ``importers:`` section of govern.yaml.

```yaml
importers:
  namespaces: {production: prod, dev: test}         # environment names of the sources -> namespace
  domains:                                          # per domain, what its sources cannot say
    seller: {defaults: {structure: set}}
  defaults: {namespace: prod, format: structured}   # under every imported product (mapped values win)
  portDefaults: {classification: internal}          # under every output port of an imported product
  overrides: {structure: lot}                       # over what govern infers (what the source writes wins)
  portOverrides: {classification: confidential}     # the same for every output port
  dbt:
    domain: [meta, group, project]  # where a model's domain comes from, tried in turn (also: folder)
    projectDomain: shop             # the 'project' domain (default: the dbt project name)
    domainKey: domain               # the meta key for 'meta'
    access: [public, protected, private]   # which models become products
    defaults: {...}                 # per-format defaults, over the common ones
  odcs: {defaults: {...}}
  odps: {defaults: {...}}
  openlineage:
    unownedJobs: product            # product | ignore: jobs writing datasets no product owns
```
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

DomainSource = Literal["meta", "group", "folder", "project"]
# what an override cannot set: the product's identity (its own routes: dbt importers.dbt.domain, ODCS/ODPS
# customProperties productId) and lists of things (portOverrides set the fields of every output port)
NOT_OVERRIDDEN = ("kind", "id", "domain", "outputPorts", "inputs")


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defaults: dict[str, Any] = Field(default_factory=dict, description="Manifest fields set when not mapped")
    portDefaults: dict[str, Any] = Field(default_factory=dict, description="Output port fields set when not mapped")
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="Manifest fields set over what govern infers from the source (what the source writes wins)")
    portOverrides: dict[str, Any] = Field(
        default_factory=dict,
        description="Output port fields set over what govern infers (what the source writes wins)")

    @field_validator("overrides")
    @classmethod
    def _not_identity(cls, value: dict[str, Any]) -> dict[str, Any]:
        bad = sorted(k for k in value if k in NOT_OVERRIDDEN)
        if bad:
            raise ValueError(f"'{bad[0]}' cannot be overridden (not one of {', '.join(NOT_OVERRIDDEN)}): the id and "
                             "domain come from the source (dbt: importers.dbt.domain or meta; ODCS/ODPS: domain, "
                             "customProperties productId); ports take portOverrides")
        return value


class DbtOptions(_Options):
    domain: list[DomainSource] = Field(
        default_factory=lambda: ["meta", "group", "project"],
        description="Sources of a model's domain, tried in turn: meta key, group (its org.yaml team's "
                    "domain, else the group name), first folder under models/ (only when listed), "
                    "the project domain (projectDomain, else the dbt project name)",
    )
    projectDomain: str | None = Field(
        default=None, description="The domain of models no earlier source places (default: the dbt project name)")
    domainKey: str = "domain"
    access: list[Literal["public", "protected", "private"]] = Field(
        default_factory=lambda: ["public", "protected", "private"],
        description="Models with these access levels become products",
    )
    sources: bool = True
    exposures: bool = True


class OpenLineageOptions(_Options):
    unownedJobs: Literal["product", "ignore"] = Field(
        default="product",
        description="A job whose outputs no declared product owns becomes a product (product) or is ignored",
    )


class ImportersConfig(_Options):
    namespaces: dict[str, Literal["prod", "preprod", "test"]] = Field(
        default_factory=dict,
        description="The namespace of each environment name the sources use (ODCS servers[].environment): "
                    "{production: prod, staging: preprod, dev: test}",
    )
    classifications: dict[str, Literal["public", "internal", "confidential", "restricted"]] = Field(
        default_factory=dict,
        description="The classification of each value a source uses outside the scheme: {sensitive: restricted}",
    )
    domains: dict[str, _Options] = Field(
        default_factory=dict,
        description="Per-domain defaults for what a source cannot say (over the format's and the common ones)",
    )
    dbt: DbtOptions = Field(default_factory=DbtOptions)
    odcs: _Options = Field(default_factory=_Options)
    odps: _Options = Field(default_factory=_Options)
    openlineage: OpenLineageOptions = Field(default_factory=OpenLineageOptions)

    def defaults_for(self, fmt: str, domain: str | None = None) -> list[tuple[dict[str, Any], dict[str, Any], str]]:
        """(product defaults, port defaults, where they are declared) for one format and domain, the
        first layer winning: the domain's (``importers.domains.<domain>``, matched as a slug), the
        format's, the common ones."""
        return self._layers(fmt, domain, "defaults", "portDefaults")

    def overrides_for(self, fmt: str, domain: str | None = None) -> list[tuple[dict[str, Any], dict[str, Any], str]]:
        """(product overrides, port overrides, where they are declared), the first layer winning as in
        ``defaults_for``: the domain's, the format's, the common ones."""
        return self._layers(fmt, domain, "overrides", "portOverrides")

    def _layers(self, fmt: str, domain: str | None, products: str,
                ports: str) -> list[tuple[dict[str, Any], dict[str, Any], str]]:
        """The non-empty (``products``, ``ports``) settings of the domain, the format and the common layer."""
        layers = []
        entry = self.domain_entry(domain)
        if entry is not None:
            key, own = entry
            layers.append((getattr(own, products), getattr(own, ports), f"importers.domains.{key}"))
        fmt_own: _Options = getattr(self, fmt, _Options())
        layers.append((getattr(fmt_own, products), getattr(fmt_own, ports), f"importers.{fmt}"))
        layers.append((getattr(self, products), getattr(self, ports), "importers"))
        return [layer for layer in layers if layer[0] or layer[1]]

    def domain_entry(self, domain: str | None) -> tuple[str, _Options] | None:
        """The ``importers.domains`` entry of a domain: its own name, else the one with the same slug."""
        if not domain:
            return None
        if domain in self.domains:
            return domain, self.domains[domain]
        from govern.load.importers.common import slug

        for key in sorted(self.domains):
            if slug(key) == slug(domain):
                return key, self.domains[key]
        return None

    def namespace_of(self, environment: str | None) -> str | None:
        """The namespace ``importers.namespaces`` maps an environment name to (exact, then ignoring case)."""
        if not environment:
            return None
        if environment in self.namespaces:
            return self.namespaces[environment]
        low = environment.strip().lower()
        for key in sorted(self.namespaces):
            if key.strip().lower() == low:
                return self.namespaces[key]
        return None
