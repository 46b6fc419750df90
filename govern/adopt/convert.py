"""``govern convert --to native``: write native manifests for products imported from other formats.

Each imported product's data (exactly what the rules saw) is written to
``OUT/<domain>/<name>/dataproduct.yaml``. SQL an importer carried (dbt ``compiled_code``) is written
next to it and named in ``execution.code``; SQL files named by the original (ODPS ``code``) are
copied. No click here: govern/cli/convert.py is the command.
"""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from govern.model.mesh import Mesh
from govern.model.product import DataProduct


@dataclass
class Converted:
    """What one conversion wrote."""

    manifests: list[str] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # native products (nothing to convert)


def _folder(product_id: str) -> PurePosixPath:
    domain, _, name = product_id.partition(".")
    safe = [p for p in (domain, name or "product") if p and p not in (".", "..") and "/" not in p]
    return PurePosixPath(*safe) if safe else PurePosixPath("product")


def convert(mesh: Mesh, out_dir: str | Path) -> Converted:
    """Write a native manifest (and its SQL) for every product of ``mesh`` that was imported."""
    out = Path(out_dir)
    result = Converted()
    used: set[PurePosixPath] = set()
    for product in mesh.products:
        if product.origin == "native":
            result.skipped.append(product.id)
            continue
        folder = _folder(product.id)
        n = 2
        while folder in used:  # duplicate ids: keep both, side by side
            folder = PurePosixPath(f"{_folder(product.id)}_{n}")
            n += 1
        used.add(folder)
        target = out / folder
        target.mkdir(parents=True, exist_ok=True)
        data: dict[str, Any] = copy.deepcopy(product.data)
        code: list[str] = []
        for i, src in enumerate(product.sql):
            name = PurePosixPath(src.path).name or f"query_{i}.sql"
            if src.text is not None:
                (target / name).write_text(src.text.rstrip("\n") + "\n", encoding="utf-8")
            else:
                original = mesh.root / src.path
                if not original.is_file():
                    continue
                shutil.copyfile(original, target / name)
            code.append(name)
            result.sql.append((folder / name).as_posix())
        execution = data.get("execution")
        if not product.sql and isinstance(execution, dict):
            base = (mesh.root / product.path).parent
            for rel in execution.get("code") or []:
                original = base / str(rel)
                if original.is_file():
                    shutil.copyfile(original, target / original.name)
                    code.append(original.name)
                    result.sql.append((folder / original.name).as_posix())
        if isinstance(execution, dict):
            if code:
                execution["code"] = code
            else:
                execution.pop("code", None)
            dialect = next((s.dialect for s in product.sql if s.dialect), None)
            if dialect and not execution.get("dialect"):
                execution["dialect"] = dialect
        order = list(DataProduct.model_fields)  # kind, id, name, ... as in a hand-written manifest
        data = {k: data[k] for k in sorted(data, key=lambda k: order.index(k) if k in order else len(order))}
        header = f"# Converted by 'govern convert --to native' from {product.path} ({product.origin}).\n"
        if product.inferred:  # values the source implies but does not state: say where each came from
            header += "# Inferred (not written in the source):\n" + "".join(
                f"#   {provenance.field}: {value!s}  <- {provenance.source}\n"
                for provenance, value in product.inferred_values())
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
        (target / "dataproduct.yaml").write_text(header + text, encoding="utf-8")
        result.manifests.append((folder / "dataproduct.yaml").as_posix())
    return result
