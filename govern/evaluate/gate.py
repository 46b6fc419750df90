"""The deployment decision, read from a Result. Fails closed."""

from __future__ import annotations

from dataclasses import dataclass, field

from govern.evaluate.engine import Result

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNDECIDED = 2


@dataclass
class ProductDecision:
    product: str
    allowed: bool
    reasons: list[str] = field(default_factory=list)


@dataclass
class GateDecision:
    allowed: bool
    decided: bool
    products: list[ProductDecision]
    mesh_reasons: list[str]
    undecided: list[str]

    @property
    def exit_code(self) -> int:
        if not self.decided:
            return EXIT_UNDECIDED
        return EXIT_OK if self.allowed else EXIT_FINDINGS

    def to_dict(self) -> dict:
        return {
            "decision": "undecided" if not self.decided else ("allowed" if self.allowed else "blocked"),
            "products": [
                {"product": p.product, "decision": "allowed" if p.allowed else "blocked", "reasons": p.reasons}
                for p in self.products
            ],
            "meshReasons": self.mesh_reasons,
            "undecided": self.undecided,
        }


def _reason(f) -> str:
    where = f.location.path or ""
    if f.location.line:
        where += f":{f.location.line}"
    return f"{f.rule} ({where}): {f.message}"


def decide(result: Result) -> GateDecision:
    """Blocked when any unwaived error of an enforce rule exists; undecided when a rule crashed."""
    reasons: dict[str, list[str]] = {p: [] for p in result.products}
    mesh_reasons: list[str] = []
    for f in result.findings:
        if not f.blocking:
            continue
        if f.product in reasons:
            reasons[f.product].append(_reason(f))
        else:
            mesh_reasons.append(_reason(f))
    products = [ProductDecision(p, not rs, rs) for p, rs in sorted(reasons.items())]
    allowed = not mesh_reasons and all(p.allowed for p in products)
    return GateDecision(
        allowed=allowed and not result.undecided,
        decided=not result.undecided,
        products=products,
        mesh_reasons=mesh_reasons,
        undecided=list(result.undecided),
    )
