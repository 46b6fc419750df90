"""Safe YAML loading with line numbers.

Composes the node tree with libyaml (when present) and builds plain Python data from it, so that:
- every key and list item gets a 1-based line number (``SourceMap``),
- duplicate keys are an error (PyYAML silently keeps the last one),
- aliases, merge keys and non-standard tags are refused (no alias bombs, no Python objects),
- nesting depth, node count and file size are bounded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from govern.errors import InputError

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 200_000

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}

FieldPath = tuple[str | int, ...]


@dataclass
class SourceMap:
    """Maps a field path such as ``("outputPorts", 0, "name")`` to the line where it is written."""

    path: str
    lines: dict[FieldPath, int] = field(default_factory=dict)
    pointer_style: bool = False

    def line_of(self, fpath: FieldPath) -> int | None:
        """Line of the nearest written ancestor of ``fpath`` (1-based), or None."""
        p = tuple(fpath)
        while True:
            line = self.lines.get(p)
            if line is not None:
                return line
            if not p:
                return None
            p = p[:-1]


def _mark_line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _fail(path: str, node: yaml.Node | None, message: str, expected: str | None = None, fld: str | None = None):
    line = _mark_line(node) if node is not None else None
    col = node.start_mark.column + 1 if node is not None else None
    raise InputError(message, path=path, line=line, column=col, field=fld, expected=expected)


def _dotted(fpath: FieldPath) -> str:
    out = ""
    for part in fpath:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _Builder:
    def __init__(self, loader: Any, path: str) -> None:
        self.loader = loader
        self.path = path
        self.smap = SourceMap(path)
        self.seen: set[int] = set()
        self.count = 0

    def build(self, node: yaml.Node, fpath: FieldPath, depth: int) -> Any:
        if id(node) in self.seen:
            _fail(self.path, node, "YAML aliases are not allowed", fld=_dotted(fpath) or None)
        self.seen.add(id(node))
        self.count += 1
        if self.count > MAX_NODES:
            _fail(self.path, node, f"document has more than {MAX_NODES} nodes")
        if depth > MAX_DEPTH:
            _fail(self.path, node, f"nesting deeper than {MAX_DEPTH} levels", fld=_dotted(fpath) or None)
        self.smap.lines.setdefault(fpath, _mark_line(node))
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    _fail(self.path, key_node, "YAML merge keys (<<) are not allowed")
                if not isinstance(key_node, yaml.ScalarNode):
                    _fail(self.path, key_node, "mapping keys must be plain scalars")
                key = key_node.value
                if key in out:
                    first = self.smap.lines.get((*fpath, key))
                    _fail(
                        self.path,
                        key_node,
                        f"duplicate key '{key}' (first defined on line {first})",
                        fld=_dotted((*fpath, key)),
                    )
                self.smap.lines[(*fpath, key)] = _mark_line(key_node)
                out[key] = self.build(value_node, (*fpath, key), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*fpath, i), depth + 1) for i, item in enumerate(node.value)]
        if node.tag not in _SCALAR_TAGS:
            _fail(self.path, node, f"unsupported YAML tag {node.tag}", fld=_dotted(fpath) or None)
        try:
            return self.loader.construct_object(node)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            _fail(self.path, node, f"invalid value: {exc}", fld=_dotted(fpath) or None)


def parse_yaml(text: str | bytes, path: str) -> tuple[Any, SourceMap]:
    """Parse one YAML document into plain data and its line map. Raises InputError with file and line."""
    if isinstance(text, bytes):
        if len(text) > MAX_FILE_BYTES:
            raise InputError(f"file is larger than {MAX_FILE_BYTES} bytes", path=path)
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = text[: exc.start].count(b"\n") + 1
            raise InputError(f"not valid UTF-8 (byte {exc.start})", path=path, line=line) from None
    elif text.startswith("\ufeff"):
        text = text[1:]
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise InputError("file is empty", path=path, line=1, expected="a YAML mapping")
        builder = _Builder(loader, path)
        data = builder.build(node, (), 0)
        return data, builder.smap
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or str(exc)
        if "\t" in problem or "found character '\\t'" in str(exc):
            problem += " (tabs are not allowed for indentation in YAML)"
        raise InputError(
            f"YAML syntax error: {problem}",
            path=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"YAML error: {exc}", path=path) from None
    except RecursionError:
        raise InputError(f"nesting deeper than {MAX_DEPTH} levels", path=path) from None
    finally:
        loader.dispose()


def read_yaml_file(path: Path, display: str | None = None) -> tuple[Any, SourceMap]:
    """Read and parse a YAML file (bounded size)."""
    shown = display or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"file is larger than {MAX_FILE_BYTES} bytes ({size})", path=shown)
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", path=shown) from None
    return parse_yaml(raw, shown)


def expect_mapping(data: Any, smap: SourceMap, what: str) -> dict:
    """Raise a clear error if the document is not a mapping."""
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__} scalar"
        raise InputError(f"{what} must be a YAML mapping, found {kind}", path=smap.path, line=1,
                         expected="a mapping of fields")
    return data


def load_yaml_mapping(path: Path, display: str, what: str) -> tuple[dict, SourceMap]:
    """Read a YAML file that must hold one mapping."""
    data, smap = read_yaml_file(path, display)
    return expect_mapping(data, smap, what), smap
