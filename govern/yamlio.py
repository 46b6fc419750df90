"""Safe YAML loading with line numbers.

Composes the node tree with libyaml (when present) and builds plain Python data from it, so that:
- every key and list item gets a 1-based line number (``SourceMap``),
- duplicate keys are an error (PyYAML silently keeps the last one),
- aliases, merge keys and non-standard tags are refused (no alias bombs, no Python objects),
- nesting depth, node count and file size are bounded.
"""

from __future__ import annotations

import stat
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
_STR_TAG = "tag:yaml.org,2002:str"
_MAPPING_TAG = "tag:yaml.org,2002:map"
_SEQUENCE_TAG = "tag:yaml.org,2002:seq"
MAX_FIELD_TEXT = 120  # a field path longer than this is shortened in messages

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

    # Imported JSON inputs (dbt manifest.json, OpenLineage events) locate fields by JSON pointer;
    # ``pointers`` maps internal field paths to RFC 6901 pointers into the original file.
    pointers: dict[FieldPath, str] = field(default_factory=dict)

    def pointer_of(self, fpath: FieldPath) -> str | None:
        """JSON pointer of the nearest ancestor of ``fpath`` that has one, or None (YAML inputs)."""
        if not self.pointers:
            return None
        p = tuple(fpath)
        while True:
            pointer = self.pointers.get(p)
            if pointer is not None or not p:
                return pointer
            p = p[:-1]


def _mark_line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _fail(path: str, node: Any, message: str, expected: str | None = None, fld: str | None = None):
    line = _mark_line(node) if node is not None else None
    col = node.start_mark.column + 1 if node is not None else None
    raise InputError(message, path=path, line=line, column=col, field=fld, expected=expected)


def _dotted(fpath: FieldPath) -> str:
    out = ""
    for part in fpath:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    if len(out) > MAX_FIELD_TEXT:  # deep nesting: keep the message readable
        out = f"{out[: MAX_FIELD_TEXT // 2]}...{out[-MAX_FIELD_TEXT // 2 :]}"
    return out


def _prescan(loader: Any, path: str) -> None:
    """Bound depth and node count on the event stream, before anything recursive runs.

    libyaml's composer recurses in C: about 100,000 nested ``[`` crash the interpreter with a
    segmentation fault, which no ``except`` can catch. The event parser is iterative, so the limits
    are checked here first.
    """
    depth = 0
    count = 0
    while True:
        event = loader.get_event()
        if event is None or isinstance(event, yaml.StreamEndEvent):
            return
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                _fail(path, event, f"nesting deeper than {MAX_DEPTH} levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if isinstance(event, yaml.NodeEvent):
            count += 1
            if count > MAX_NODES:
                _fail(path, event, f"document has more than {MAX_NODES} nodes")


def _encoding_hint(raw: bytes) -> str:
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return ": the file is UTF-16; save it as UTF-8"
    return ": save the file as UTF-8 (it looks like Latin-1 or another legacy encoding)"


_UNICODE_BREAKS = {"\x85": "NEXT LINE", "\u2028": "LINE SEPARATOR", "\u2029": "PARAGRAPH SEPARATOR"}


def _refuse_unicode_line_breaks(text: str, path: str) -> None:
    """YAML counts U+0085/U+2028/U+2029 as line breaks, editors and grep do not: every line number
    after one would be wrong, and a line could hide on screen. Refuse them with the line editors show."""
    found = [i for i in (text.find(ch) for ch in _UNICODE_BREAKS) if i >= 0]
    if not found:
        return
    at = min(found)
    line = text.count("\n", 0, at) + (text.count("\r", 0, at) if "\n" not in text else 0) + 1
    ch = text[at]
    raise InputError(f"character U+{ord(ch):04X} ({_UNICODE_BREAKS[ch]}) is a line break in YAML but not in "
                     "editors; replace it with a normal newline or remove it", path=path, line=line)


def _short_tag(tag: str | None) -> str:
    return (tag or "").replace("tag:yaml.org,2002:", "!!")


def _tab_hint(text: str, mark: Any) -> str:
    """A hint when the line of a syntax error is indented with tabs (YAML forbids them there)."""
    if mark is None:
        return ""
    lines = text.splitlines()
    row = lines[mark.line] if 0 <= mark.line < len(lines) else ""
    indent = row[: len(row) - len(row.lstrip(" \t"))]
    if "\t" in indent or row[mark.column : mark.column + 1] == "\t":
        return " (a tab is used for indentation on this line; YAML allows only spaces there)"
    return ""


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
        if isinstance(node, yaml.CollectionNode):
            wanted = _MAPPING_TAG if isinstance(node, yaml.MappingNode) else _SEQUENCE_TAG
            if node.tag != wanted:  # e.g. !!python/object/apply: refused, never constructed
                _fail(self.path, node, f"unsupported YAML tag {_short_tag(node.tag)}", fld=_dotted(fpath) or None)
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    _fail(self.path, key_node, "YAML merge keys (<<) are not allowed", fld=_dotted(fpath) or None)
                if not isinstance(key_node, yaml.ScalarNode):
                    _fail(self.path, key_node, "mapping keys must be plain scalars", fld=_dotted(fpath) or None)
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
        if node.tag == _STR_TAG:  # what construct_object returns for a string, without its overhead
            return node.value
        if node.tag not in _SCALAR_TAGS:
            _fail(self.path, node, f"unsupported YAML tag {_short_tag(node.tag)}", fld=_dotted(fpath) or None)
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
            raise InputError(f"not valid UTF-8 (byte {exc.start}){_encoding_hint(text)}", path=path,
                             line=line) from None
    elif text.startswith("\ufeff"):
        text = text[1:]
    _refuse_unicode_line_breaks(text, path)
    loader = _Loader(text)
    try:
        _prescan(loader, path)
        loader.dispose()
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            raise InputError("file is empty", path=path, line=1, expected="a YAML mapping")
        builder = _Builder(loader, path)
        data = builder.build(node, (), 0)
        return data, builder.smap
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or str(exc)) + _tab_hint(text, mark)
        start = exc.context_mark
        if "another document" in problem:
            problem = "found a second YAML document ('---'); the file must hold exactly one"
        elif exc.context and start is not None and mark is not None and start.line != mark.line:
            problem += f" ({exc.context} that starts on line {start.line + 1})"
        raise InputError(
            f"YAML syntax error: {problem}",
            path=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.reader.ReaderError as exc:
        bad = chr(exc.character) if isinstance(exc.character, int) else str(exc.character)
        at = text.find(bad)
        line = text.count("\n", 0, at) + 1 if at >= 0 else None
        raise InputError(f"YAML error: character {ord(bad[:1] or ' '):#06x} is not allowed: {exc.reason}",
                         path=path, line=line) from None
    except yaml.YAMLError as exc:
        raise InputError(f"YAML error: {exc}", path=path) from None
    except RecursionError:
        raise InputError(f"nesting deeper than {MAX_DEPTH} levels", path=path) from None
    finally:
        loader.dispose()


def read_yaml_file(path: Path, display: str | None = None) -> tuple[Any, SourceMap]:
    """Read and parse a YAML file (bounded size)."""
    shown = display or str(path)
    return parse_yaml(read_bounded(path, shown), shown)


def read_bounded(path: Path, shown: str) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES (more is an error parse_yaml reports)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block or never end
            raise InputError("not a regular file", path=shown, expected="a YAML file")
        size = info.st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"file is larger than {MAX_FILE_BYTES} bytes ({size})", path=shown)
        with path.open("rb") as fh:
            return fh.read(MAX_FILE_BYTES + 1)  # bounded even if the file grows after stat()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", path=shown) from None


_SCALAR_NAMES = {"str": "a single string", "int": "a single number", "float": "a single number",
                 "bool": "a single true/false", "NoneType": "only null (~)", "date": "a single date"}


def expect_mapping(data: Any, smap: SourceMap, what: str) -> dict:
    """Raise a clear error if the document is not a mapping."""
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else _SCALAR_NAMES.get(type(data).__name__, "a single value")
        raise InputError(f"{what} must be a YAML mapping, found {kind}", path=smap.path, line=1,
                         expected="a mapping of fields")
    return data


def load_yaml_mapping(path: Path, display: str, what: str) -> tuple[dict, SourceMap]:
    """Read a YAML file that must hold one mapping."""
    data, smap = read_yaml_file(path, display)
    return expect_mapping(data, smap, what), smap
