"""Options of the importers, read from the ``importers:`` section of govern.yaml.

```yaml
importers:
  defaults: {namespace: prod, format: structured}   # under every imported product (mapped values win)
  portDefaults: {classification: internal}          # under every output port of an imported product
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

from pydantic import BaseModel, ConfigDict, Field

DomainSource = Literal["meta", "group", "folder", "project"]


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defaults: dict[str, Any] = Field(default_factory=dict, description="Manifest fields set when not mapped")
    portDefaults: dict[str, Any] = Field(default_factory=dict, description="Output port fields set when not mapped")


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
    dbt: DbtOptions = Field(default_factory=DbtOptions)
    odcs: _Options = Field(default_factory=_Options)
    odps: _Options = Field(default_factory=_Options)
    openlineage: OpenLineageOptions = Field(default_factory=OpenLineageOptions)

    def defaults_for(self, fmt: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(product defaults, port defaults) for one format: the format's over the common ones."""
        own: _Options = getattr(self, fmt, _Options())
        return {**self.defaults, **own.defaults}, {**self.portDefaults, **own.portDefaults}
