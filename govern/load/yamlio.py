"""Safe YAML loading with line numbers.

Reads libyaml's event stream (when present) and builds plain Python data from it in one pass, so that:
- every key and list item gets a 1-based line number (``SourceMap``),
- duplicate keys are an error (PyYAML silently keeps the last one),
- aliases, merge keys and non-standard tags are refused (no alias bombs, no Python objects),
- nesting depth, node count and file size are bounded.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import yaml

from govern.model.errors import InputError
from govern.model.source import FieldPath, SourceMap, field_path_text

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
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MAPPING_TAG = "tag:yaml.org,2002:map"
_SEQUENCE_TAG = "tag:yaml.org,2002:seq"
MAX_FIELD_TEXT = 120  # a field path longer than this is shortened in messages


def _mark_line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _fail(path: str, node: Any, message: str, expected: str | None = None, fld: str | None = None):
    line = _mark_line(node) if node is not None else None
    col = node.start_mark.column + 1 if node is not None else None
    raise InputError(message, path=path, line=line, column=col, field=fld, expected=expected)


def _dotted(fpath: FieldPath) -> str:
    out = field_path_text(fpath)
    if len(out) > MAX_FIELD_TEXT:  # deep nesting: keep the message readable
        out = f"{out[: MAX_FIELD_TEXT // 2]}...{out[-MAX_FIELD_TEXT // 2 :]}"
    return out


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


_MERGE_TAG = "tag:yaml.org,2002:merge"
_PLAIN_TAGS: dict[str, str] = {}  # plain scalar text -> the tag YAML's resolver gives it (a few hundred in practice)
_CONSTRUCTED: dict[tuple[str, str], Any] = {}  # (tag, text) -> value, for the immutable non-string scalars
_MAX_REMEMBERED = 50_000
_KEY = object()  # a mapping frame waiting for its next key


def _plain_tag(loader: Any, value: str) -> str:
    tag = _PLAIN_TAGS.get(value)
    if tag is None:
        if len(_PLAIN_TAGS) > _MAX_REMEMBERED:
            _PLAIN_TAGS.clear()
        tag = _PLAIN_TAGS[value] = loader.resolve(yaml.ScalarNode, value, (True, False))
    return tag


def _scalar(loader: Any, event: Any, path: str, fpath: FieldPath) -> Any:
    """The value of a scalar event, as PyYAML's safe constructor makes it; other tags are refused."""
    tag = event.tag
    value = event.value
    if tag is None or tag == "!":
        tag = _plain_tag(loader, value) if event.implicit[0] else _STR_TAG
    if tag == _STR_TAG:
        return value
    if tag not in _SCALAR_TAGS:
        _fail(path, event, f"unsupported YAML tag {_short_tag(tag)}", fld=_dotted(fpath) or None)
    key = (tag, value)
    if key in _CONSTRUCTED:
        return _CONSTRUCTED[key]
    try:
        made = loader.construct_object(yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, event.style))
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        if tag == _TIMESTAMP_TAG:
            # An impossible date (2025-02-31) is a bad value of one field, not an unreadable file: keep the
            # text, and validation reports it at its field while the rest of the file is still read.
            return value
        _fail(path, event, f"invalid value: {exc}", fld=_dotted(fpath) or None)
    if len(_CONSTRUCTED) > _MAX_REMEMBERED:
        _CONSTRUCTED.clear()
    _CONSTRUCTED[key] = made  # None, bool, int, float, date, datetime: immutable
    return made


def _build(loader: Any, path: str) -> tuple[Any, SourceMap]:
    """Build plain data and its line map straight from libyaml's event stream, in one pass.

    No node tree is composed: libyaml's composer recurses in C, and about 100,000 nested ``[`` crash
    the interpreter with a segmentation fault that no ``except`` can catch. The event parser is
    iterative, so depth and node count are bounded here as the events arrive, and an alias (the
    only way to an alias bomb) is refused where it appears.
    """
    smap = SourceMap(path)
    lines = smap.lines
    get_event = loader.get_event
    get_event()  # StreamStartEvent
    event = get_event()
    if isinstance(event, yaml.StreamEndEvent):
        raise InputError("file is empty", path=path, line=1, expected="a YAML mapping")
    result: Any = None
    count = 0
    # one frame per open collection: [container, its field path, and for a mapping _KEY or the key whose
    # value comes next (None for a sequence)]
    stack: list[list] = []
    while True:
        event = get_event()
        kind = type(event)
        if kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            stack.pop()
            continue
        if kind is yaml.DocumentEndEvent:
            break
        count += 1
        if count > MAX_NODES:
            _fail(path, event, f"document has more than {MAX_NODES} nodes")
        line = event.start_mark.line + 1
        if stack:
            frame = stack[-1]
            container, parent, key = frame
            if key is _KEY:  # a mapping key
                if kind is not yaml.ScalarEvent:
                    if kind is yaml.AliasEvent:
                        _fail(path, event, "YAML aliases are not allowed", fld=_dotted(parent) or None)
                    _fail(path, event, "mapping keys must be plain scalars", fld=_dotted(parent) or None)
                name = event.value
                tag = event.tag
                if (tag is None or tag == "!") and event.implicit[0]:
                    tag = _plain_tag(loader, name)
                if tag == _MERGE_TAG:
                    _fail(path, event, "YAML merge keys (<<) are not allowed", fld=_dotted(parent) or None)
                if name in container:
                    first = lines.get((*parent, name))
                    _fail(path, event, f"duplicate key '{name}' (first defined on line {first})",
                          fld=_dotted((*parent, name)))
                lines[(*parent, name)] = line
                frame[2] = name
                continue
            if isinstance(container, dict):
                fpath: FieldPath = (*parent, key)
                frame[2] = _KEY
            else:
                fpath = (*parent, len(container))
        else:
            container, key, fpath = None, None, ()
        lines.setdefault(fpath, line)
        if kind is yaml.ScalarEvent:
            value = _scalar(loader, event, path, fpath)
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            if len(stack) >= MAX_DEPTH:
                _fail(path, event, f"nesting deeper than {MAX_DEPTH} levels")
            wanted = _MAPPING_TAG if kind is yaml.MappingStartEvent else _SEQUENCE_TAG
            if event.tag not in (None, "!", wanted):  # e.g. !!python/object/apply: refused, never constructed
                _fail(path, event, f"unsupported YAML tag {_short_tag(event.tag)}", fld=_dotted(fpath) or None)
            if kind is yaml.MappingStartEvent:
                value = {}
                stack.append([value, fpath, _KEY])
            else:
                value = []
                stack.append([value, fpath, None])
        else:  # an AliasEvent
            _fail(path, event, "YAML aliases are not allowed", fld=_dotted(fpath) or None)
        if container is None:
            result = value
        elif key is None:
            container.append(value)
        else:
            container[key] = value
    event = get_event()
    if not isinstance(event, yaml.StreamEndEvent):
        raise InputError("YAML syntax error: found a second YAML document ('---'); the file must hold exactly one",
                         path=path,
                         line=event.start_mark.line + 1, column=event.start_mark.column + 1)
    return result, smap


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
        return _build(loader, path)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or str(exc)) + _tab_hint(text, mark)
        start = exc.context_mark
        if "another document" in problem:
            problem = "found a second YAML document ('---'); the file must hold exactly one"
        elif "nesting depth" in problem:
            # libyaml (PyYAML >= 6.0.4) has its own depth limit in the scanner, which reads flow brackets
            # ahead of the events _build counts; the file breaks govern's limit either way, say it in our words
            raise InputError(f"nesting deeper than {MAX_DEPTH} levels", path=path,
                             line=mark.line + 1 if mark else None,
                             column=mark.column + 1 if mark else None) from None
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
