"""Trim a dbt manifest.json for the corpus: drop the macros of installed packages and adapters.

dbt writes every macro it knows into manifest.json (dbt's own, the adapter's, each package's: about
0.5 MB for a project without packages); govern reads none of them (a model's ``depends_on.macros``
names them, and those names are kept). Everything else stays as dbt wrote it. Usage:

    python trim_manifest.py target/manifest.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def trim(path: Path) -> tuple[int, int]:
    """Remove the macros of other packages than the project's own; (bytes before, bytes after)."""
    raw = path.read_bytes()
    doc = json.loads(raw)
    project = doc["metadata"]["project_name"]
    doc["macros"] = {uid: macro for uid, macro in doc["macros"].items() if macro.get("package_name") == project}
    text = json.dumps(doc)  # as dbt writes it: one line, default separators
    path.write_text(text, encoding="utf-8")
    return len(raw), len(text.encode("utf-8"))


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        before, after = trim(Path(arg))
        print(f"{arg}: {before} -> {after} bytes (macros of packages and adapters removed)")
