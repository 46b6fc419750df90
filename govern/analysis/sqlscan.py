"""Scan one SQL text: tables read and written, ``SELECT *``, parse errors, and column lineage.

``scan_sql`` is a pure function of its arguments (text, dialect, limits, catalog, lineage floor) and
returns plain picklable data, so files can be scanned in a process pool with identical results.
Each file is tokenized once and each statement parsed once; a statement that does not parse is a
problem at its line and column while the other statements are still scanned.

Tables are found with sqlglot's scope machinery (``traverse_scope``), so CTE names, subquery aliases
and the targets of INSERT / CREATE / MERGE are not reads. Guards: a byte limit, a token limit
(``sql.maxNodes``), a nesting-depth limit, and a wall-clock limit per file (``sql.timeoutSeconds``,
enforced with a timer signal when running on a main thread).
"""

from __future__ import annotations

import bisect
import contextlib
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from govern.analysis.catalog import Catalog
from govern.analysis.tablenames import TableKey, normalise_parts

if TYPE_CHECKING:
    from sqlglot import exp

PARSE_ERROR = "parse-error"
TOO_COMPLEX = "too-complex"
TIME_LIMIT_PHRASE = "took longer than"  # in the message of SQL whose analysis hit the time limit (not repeatable)
MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 200  # parenthesis nesting; sqlglot recurses about 20 frames per level
RECURSION_LIMIT = 12_000
_TOKEN_REPR = re.compile(
    r"<Token token_type: TokenType\.\w+, text: (.*?), line: \d+, col: \d+, start: \d+, end: \d+, comments: \[.*?\]>"
)
_CLASS_REPR = re.compile(r"<class 'sqlglot\.[\w.]*\.(\w+)'>")
_MISSING_AT = re.compile(r"from (\d+):(\d+)")
# Dialects that execute the body of /*! ... */, /*!50000 ... */ and MariaDB's /*M! ... */ comments.
EXECUTABLE_COMMENT_DIALECTS = frozenset({"mysql", "singlestore", "doris", "starrocks"})
_EXEC_OPEN = re.compile(r"/\*M?!\d{0,6}")


@dataclass(frozen=True)
class Limits:
    """How much work one SQL file may cost before it is reported as too complex."""

    max_nodes: int = 50_000
    timeout: float = 5.0
    max_depth: int = MAX_DEPTH
    max_bytes: int = MAX_BYTES


@dataclass(frozen=True, slots=True)
class TableRef:
    """A table named by the SQL: normalised key, the text as written, where it is."""

    key: TableKey
    text: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Position:
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Problem:
    """SQL that could not be analysed (fully): a parse error or a guard that tripped."""

    kind: str  # parse-error | too-complex
    message: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True, slots=True)
class ColumnFlow:
    """One output column and the table columns it is derived from (column-level lineage)."""

    target: TableKey | None  # the table the statement writes; None for a bare query (dbt model, view file)
    column: str
    sources: tuple[tuple[TableKey, str], ...]
    line: int
    col: int


@dataclass
class FileScan:
    """Everything one SQL text told us. Lines are 1-based within the scanned text."""

    reads: list[TableRef] = field(default_factory=list)
    writes: list[TableRef] = field(default_factory=list)
    stars: list[Position] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    flows: list[ColumnFlow] = field(default_factory=list)
    lineage_gaps: list[str] = field(default_factory=list)  # statements whose column lineage failed
    statements: int = 0
    tokens: int = 0
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        """True when every statement was parsed and scanned."""
        return not self.problems


def scan_to_data(scan: FileScan) -> tuple:
    """A scan as plain builtins (tuples, lists, str, int), for the mesh index; ``scan_from_data`` inverts it."""
    return (
        [(r.key, r.text, r.line, r.column) for r in scan.reads],
        [(r.key, r.text, r.line, r.column) for r in scan.writes],
        [(p.line, p.column) for p in scan.stars],
        [(p.kind, p.message, p.line, p.column) for p in scan.problems],
        [(f.target, f.column, f.sources, f.line, f.col) for f in scan.flows],
        list(scan.lineage_gaps),
        scan.statements,
        scan.tokens,
        scan.seconds,
    )


def scan_from_data(data: tuple) -> FileScan:
    """The FileScan that ``scan_to_data`` turned into ``data`` (equal field by field)."""
    reads, writes, stars, problems, flows, gaps, statements, tokens, seconds = data
    return FileScan(
        reads=[TableRef(tuple(k), t, line, col) for k, t, line, col in reads],
        writes=[TableRef(tuple(k), t, line, col) for k, t, line, col in writes],
        stars=[Position(line, col) for line, col in stars],
        problems=[Problem(kind, message, line, col) for kind, message, line, col in problems],
        flows=[ColumnFlow(tuple(t) if t is not None else None, c, tuple((tuple(k), n) for k, n in src), line, col)
               for t, c, src, line, col in flows],
        lineage_gaps=list(gaps),
        statements=statements,
        tokens=tokens,
        seconds=seconds,
    )


class Timeout(BaseException):
    """The per-file time limit was reached (a BaseException, so no ``except Exception`` swallows it)."""


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise ``Timeout`` in this block after ``seconds``: with SIGALRM on a main thread, else (a Dask
    worker's thread) from a timer thread (``_thread_deadline``)."""
    if seconds <= 0:
        yield
        return
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        with _thread_deadline(seconds):
            yield
        return

    fired: list[bool] = []

    def on_alarm(signum: int, frame: Any) -> None:
        fired.append(True)
        raise Timeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if fired:  # the handler ran inside a finaliser (a garbage collection), which swallowed its Timeout
        raise Timeout()


@contextlib.contextmanager
def _thread_deadline(seconds: float) -> Iterator[None]:
    """``deadline`` in a thread that cannot take signals: a timer raises ``Timeout`` in it asynchronously
    (``PyThreadState_SetAsyncExc``, delivered between bytecodes), never after the block has ended."""
    import ctypes

    target = threading.get_ident()
    lock = threading.Lock()
    state = {"inside": True, "fired": False}

    def fire() -> None:
        with lock:
            if state["inside"]:
                state["fired"] = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(Timeout))

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            state["inside"] = False
            if state["fired"]:  # not delivered yet: it must not surface after the block
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), None)
        timer.cancel()
    if state["fired"]:  # delivered inside a finaliser that swallowed it, or cleared above
        raise Timeout()


@contextlib.contextmanager
def collecting() -> Iterator[None]:
    """Cyclic garbage collection on while SQL is scanned in this process: parsed trees are cyclic garbage.

    The govern command pauses collection for its whole run (govern/cli/common.py); in that case what
    exists now is frozen first (``gc.freeze``), so the collections walk only the scans' own objects.
    """
    import gc

    if gc.isenabled():
        yield
        return
    gc.freeze()
    gc.enable()
    try:
        yield
    finally:
        gc.disable()


@contextlib.contextmanager
def deeper_recursion(limit: int = RECURSION_LIMIT) -> Iterator[None]:
    """sqlglot's parser recurses per nesting level; allow the depth that ``Limits.max_depth`` admits."""
    old = sys.getrecursionlimit()
    if old < limit:
        sys.setrecursionlimit(limit)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


class _Text:
    """Offsets to 1-based line and column."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None

    @property
    def starts(self) -> list[int]:
        if self._starts is None:
            self._starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        return self._starts

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


def unwrap_executable_comments(text: str) -> str:
    """``text`` with the markers of MySQL executable comments (``/*!``, ``/*!50000``, ``/*M!`` and their
    closing ``*/``) replaced by spaces of the same length, so their body is analysed as the server runs it.

    String literals, quoted names and ordinary comments are left alone; line and column positions keep.
    """
    if "/*" not in text or "!" not in text:
        return text
    out = list(text)
    i, n = 0, len(text)
    inside = False  # within an executable comment (they do not nest)
    while i < n:
        ch = text[i]
        if ch in "'\"`":
            i += 1
            while i < n and text[i] != ch:
                i += 2 if text[i] == "\\" and ch != "`" else 1
            i += 1
        elif ch == "#" or text.startswith("-- ", i) or text.startswith("--\t", i) or text.startswith("--\n", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            opened = _EXEC_OPEN.match(text, i)
            if opened is not None and not inside:
                out[i:opened.end()] = " " * (opened.end() - i)
                inside = True
                i = opened.end()
            else:
                end = text.find("*/", i + 2)
                i = n if end < 0 else end + 2
        elif inside and text.startswith("*/", i):
            out[i:i + 2] = "  "
            inside = False
            i += 2
        else:
            i += 1
    return "".join(out)


def _clean(message: str) -> str:
    message = _TOKEN_REPR.sub(lambda m: f"'{m.group(1)}'", message)
    message = _CLASS_REPR.sub(lambda m: m.group(1), message)
    return message.replace("'SENTINEL'", "the end of the statement")


def _meta_start(node: exp.Expr) -> int | None:
    """Character offset where a node starts, from the first identifier or literal that knows it."""
    starts = [child.meta["start"] for child in node.walk() if child.meta and "start" in child.meta]
    return min(starts) if starts else None


def _table_key(table: exp.Table, dialect: Any) -> TableKey | None:
    """Normalised name parts; normalised inside the table, as some dialects (BigQuery) need."""
    from sqlglot import exp

    parts = table.parts
    if not parts or not all(isinstance(p, exp.Identifier) for p in parts):
        return None
    meta = table.meta or {}
    return normalise_parts(dialect, tuple((p.name, bool(p.quoted)) for p in parts),
                           bool(meta.get("quoted_table")), bool(meta.get("maybe_column")))


def _table_ref(table: exp.Table, dialect: Any, text: _Text) -> TableRef | None:
    key = _table_key(table, dialect)
    if key is None:
        return None
    parts = table.parts
    first, last = parts[0].meta or {}, parts[-1].meta or {}
    if "start" in first and "end" in last:
        start = first["start"]
        written = text.text[start : last["end"] + 1]
        # a quoted last part ends at its closing quote
        if parts[-1].quoted and last["end"] + 1 < len(text.text) and text.text[last["end"] + 1] in "\"`]":
            written = text.text[start : last["end"] + 2]
        line, col = text.position(start)
    else:
        written = ".".join(p.name for p in parts)
        line, col = 1, 1
    return TableRef(key, written, line, col)


def _split_statements(tokens: list) -> list[list]:
    from sqlglot.tokens import TokenType

    chunks: list[list] = [[]]
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            chunks.append([])
        else:
            chunks[-1].append(token)
    return [c for c in chunks if c]


def _max_depth(tokens: list, limit: int) -> tuple[int, Any]:
    """The deepest parenthesis nesting, and the first token that went past ``limit`` (or None)."""
    from sqlglot.tokens import TokenType

    depth = deepest = 0
    first_over = None
    for token in tokens:
        if token.token_type == TokenType.L_PAREN:
            depth += 1
            deepest = max(deepest, depth)
            if depth > limit and first_over is None:
                first_over = token
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
    return deepest, first_over


def _parse_problem(exc: Exception, text: _Text, fallback: tuple[int, int]) -> Problem:
    errors = getattr(exc, "errors", None) or []
    if errors:
        err = errors[0]
        line, col = err.get("line") or fallback[0], err.get("col") or fallback[1]
        highlight = err.get("highlight") or ""
        if highlight and "\n" not in highlight:
            col = max(1, col - len(highlight) + 1)
        return Problem(PARSE_ERROR, _clean(err.get("description") or str(exc)), line, col)
    return Problem(PARSE_ERROR, _clean(str(exc).split("\n")[0]), *fallback)


def _token_problem(exc: Exception, text: _Text) -> Problem:
    # sqlglot raises "Error tokenizing ..." from "Missing ' from LINE:OFFSET"; its compiled build (sqlglotc)
    # keeps the inner error only as the context, not as the cause
    inner = exc.__cause__ or exc.__context__
    cause = str(inner) if inner else ""
    found = _MISSING_AT.search(cause)
    if cause.startswith("Missing") and found:
        line, col = text.position(int(found.group(2)))
        delimiter = cause[len("Missing") : found.start()].strip()
        return Problem(PARSE_ERROR, f"unterminated string or quoted identifier: no closing {delimiter}", line, col)
    start = getattr(exc, "start", None) or 0
    line, col = text.position(min(start, max(len(text.text) - 1, 0)))
    return Problem(PARSE_ERROR, f"cannot tokenize the SQL: {_clean(str(exc)).splitlines()[0]}", line, col)


def _write_target(statement: exp.Expr) -> exp.Table | None:
    from sqlglot import exp

    if isinstance(statement, exp.Insert | exp.Create | exp.Merge | exp.Update | exp.Delete):
        target = statement.this
        if isinstance(target, exp.Schema):
            target = target.this
        return target if isinstance(target, exp.Table) else None
    return None


def _query_of(statement: exp.Expr) -> exp.Query | None:
    from sqlglot import exp

    if isinstance(statement, exp.Query):
        return statement
    if isinstance(statement, exp.Insert | exp.Create):
        query = statement.expression
        return query if isinstance(query, exp.Query) else None
    return None


def _stars(statement: exp.Expr, text: _Text, scopes: list) -> list[Position]:
    """``*`` in a projection list (``SELECT *``, ``SELECT t.*``), except inside ``EXISTS (...)``."""
    from sqlglot import exp

    out = []
    for scope in scopes:
        select = scope.expression
        if not isinstance(select, exp.Select) or isinstance(select.parent, exp.Exists):
            continue
        for projection in select.expressions:
            star = projection if isinstance(projection, exp.Star) else None
            if star is None and isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
                star = projection
            if star is None:
                continue
            start = _meta_start(star)
            out.append(Position(*text.position(start)) if start is not None else Position(1, 1))
    return sorted(out, key=lambda p: (p.line, p.column))


def _insert_columns(statement: exp.Expr) -> list[str] | None:
    from sqlglot import exp

    if isinstance(statement, exp.Insert) and isinstance(statement.this, exp.Schema):
        names = [e.name for e in statement.this.expressions if isinstance(e, exp.Identifier)]
        return names or None
    return None


def _projection_positions(query: exp.Query, text: _Text) -> dict[str, tuple[int, int]]:
    from sqlglot import exp

    out: dict[str, tuple[int, int]] = {}
    left = query
    while isinstance(left, exp.SetOperation):
        left = left.this
    if not isinstance(left, exp.Select):
        return out
    for projection in left.expressions:
        start = _meta_start(projection)
        if start is None:
            continue
        name = projection.alias_or_name or "*"
        out.setdefault(name.casefold(), text.position(start))
    return out


def _lineage_schema(reads: list[TableRef], catalog: Catalog, dialect: Any) -> Any:
    """A sqlglot schema of the tables this statement reads, keyed as the SQL names them."""
    from sqlglot import exp
    from sqlglot.errors import SchemaError
    from sqlglot.schema import MappingSchema

    def column_name(name: str) -> str:
        return dialect.normalize_identifier(exp.Identifier(this=name, quoted=False)).name

    tables: dict[TableKey, dict[str, str]] = {}
    for ref in reads:
        for info in catalog.resolve(ref.key)[:1]:
            if info.columns:
                tables[ref.key] = {column_name(c.name): c.type or "UNKNOWN" for c in info.columns}
    if not tables:
        return {}
    depth = max(len(k) for k in tables)
    nested: dict[str, Any] = {}
    for key, columns in tables.items():
        if len(key) != depth:  # sqlglot wants one nesting depth; drop the odd ones out
            continue
        node = nested
        for part in key[:-1]:
            node = node.setdefault(part, {})
        node[key[-1]] = columns
    try:
        return MappingSchema(nested, dialect=dialect, normalize=False)
    except SchemaError:
        return {}


def _column_flows(
    statement: exp.Expr,
    query: exp.Query,
    reads: list[TableRef],
    catalog: Catalog,
    dialect: Any,
    earlier: dict[str, exp.Query],
    text: _Text,
) -> list[ColumnFlow]:
    from sqlglot import exp
    from sqlglot.lineage import lineage

    positions = _projection_positions(query, text)
    target = _write_target(statement)
    target_key = _table_key(target, dialect) if target is not None else None
    renamed = _insert_columns(statement)
    schema = _lineage_schema(reads, catalog, dialect)
    sources = {name: q.copy() for name, q in earlier.items()} or None
    nodes = lineage(None, query, schema, sources=sources, dialect=dialect, copy=False)
    flows = []
    default = text.position(_meta_start(query) or 0)
    for index, (name, node) in enumerate(nodes.items()):
        found: set[tuple[TableKey, str]] = set()
        for leaf in node.walk():
            if leaf.downstream or not isinstance(leaf.source, exp.Table):
                continue
            key = _table_key(leaf.source, dialect)
            if key is not None:
                found.add((key, leaf.name.rsplit(".", 1)[-1]))
        out_name = renamed[index] if renamed and index < len(renamed) else name
        line, col = positions.get(name.casefold()) or positions.get("*") or default
        flows.append(ColumnFlow(target_key, out_name, tuple(sorted(found)), line, col))
    return flows


def _needs_lineage(reads: list[TableRef], catalog: Catalog | None, floor: int | None) -> bool:
    if catalog is None or floor is None:
        return False
    return any(info.sensitivity > floor for ref in reads for info in catalog.resolve(ref.key))


def scan_sql(
    text: str,
    dialect: str | None = None,
    limits: Limits = Limits(),
    catalog: Catalog | None = None,
    lineage_floor: int | None = None,
) -> FileScan:
    """Scan ``text`` (one SQL file, any number of statements) in ``dialect``.

    Column lineage is computed only for statements that read a table of ``catalog`` holding data
    more sensitive than ``lineage_floor`` (the lowest classification rank among the product's
    outputs): only those can downgrade a classification.
    """
    started = time.perf_counter()
    scan = FileScan()
    if dialect is not None and dialect.lower() in EXECUTABLE_COMMENT_DIALECTS:
        text = unwrap_executable_comments(text)
    where = _Text(text)
    try:
        with deadline(limits.timeout), deeper_recursion():
            _scan_into(scan, text, where, dialect, limits, catalog, lineage_floor)
    except Timeout:
        scan.problems.append(
            Problem(TOO_COMPLEX, f"analysis {TIME_LIMIT_PHRASE} {limits.timeout:g} s (sql.timeoutSeconds)", 1, 1)
        )
    except RecursionError:
        scan.problems.append(Problem(TOO_COMPLEX, "the SQL is nested too deeply to analyse", 1, 1))
    scan.seconds = time.perf_counter() - started
    return scan


def _scan_into(
    scan: FileScan,
    text: str,
    where: _Text,
    dialect_name: str | None,
    limits: Limits,
    catalog: Catalog | None,
    floor: int | None,
) -> None:
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.errors import ParseError, TokenError
    from sqlglot.optimizer.scope import traverse_scope

    if len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes:
        scan.problems.append(Problem(TOO_COMPLEX, f"the file is larger than {limits.max_bytes:,} bytes", 1, 1))
        return
    dialect = Dialect.get_or_raise(dialect_name)
    try:
        tokens = dialect.tokenize(text)
    except TokenError as exc:
        scan.problems.append(_token_problem(exc, where))
        return
    scan.tokens = len(tokens)
    if len(tokens) > limits.max_nodes:
        scan.problems.append(
            Problem(TOO_COMPLEX, f"{len(tokens):,} tokens, over the limit of {limits.max_nodes:,} (sql.maxNodes)", 1, 1)
        )
        return
    depth, over = _max_depth(tokens, limits.max_depth)
    if over is not None:
        line, col = where.position(over.start)
        scan.problems.append(
            Problem(TOO_COMPLEX, f"parentheses nested {depth} deep, over the limit of {limits.max_depth}", line, col)
        )
        return
    parser = dialect.parser()
    written: set[TableKey] = set()
    tainted: set[TableKey] = set()
    upstream_reads: list[TableRef] = []
    earlier: dict[str, Any] = {}
    for chunk in _split_statements(tokens):
        first = (chunk[0].line, chunk[0].col)
        try:
            statements = parser.parse(chunk, text)
        except (ParseError, TokenError) as exc:
            scan.problems.append(_parse_problem(exc, where, first))
            continue
        for statement in statements:
            if statement is None:
                continue
            scan.statements += 1
            scopes = list(traverse_scope(statement)) if _has_scope(statement) else []
            reads = _reads(scopes, dialect, where)
            target = _write_target(statement)
            target_ref = _table_ref(target, dialect, where) if target is not None else None
            # a table written earlier in the same file (a staging table) is not an outside read
            scan.reads.extend(r for r in reads if r.key not in written)
            scan.stars.extend(_stars(statement, where, scopes))
            query = _query_of(statement)
            sensitive = _needs_lineage(reads, catalog, floor) or any(r.key in tainted for r in reads)
            if query is None or not sensitive or catalog is None:
                if target_ref is not None:
                    scan.writes.append(target_ref)
                    written.add(target_ref.key)
                continue
            saved = query.copy() if target_ref is not None else None
            try:
                scan.flows.extend(
                    _column_flows(statement, query, reads + upstream_reads, catalog, dialect, earlier, where)
                )
            except Exception as exc:  # lineage is best effort; the gap is recorded
                scan.lineage_gaps.append(f"line {first[0]}: {type(exc).__name__}: {_clean(str(exc))[:200]}")
            if target_ref is not None and saved is not None:
                scan.writes.append(target_ref)
                written.add(target_ref.key)
                # a staging table built from sensitive data: later statements follow it to its sources
                earlier[".".join(target_ref.key)] = saved
                tainted.add(target_ref.key)
                upstream_reads.extend(reads)


def _has_scope(statement: exp.Expr) -> bool:
    from sqlglot import exp

    return isinstance(statement, exp.Query | exp.DML | exp.DDL | exp.Merge)


def _reads(scopes: list, dialect: Any, where: _Text) -> list[TableRef]:
    from sqlglot import exp

    out: list[TableRef] = []
    seen: set[int] = set()
    for scope in scopes:
        for source in scope.sources.values():
            if isinstance(source, exp.Table) and id(source) not in seen:
                seen.add(id(source))
                ref = _table_ref(source, dialect, where)
                if ref is not None:
                    out.append(ref)
    out.sort(key=lambda r: (r.line, r.column, r.key))
    return out
