"""Progress and quiet (issue 17, item 9): through the real ``govern`` command on a real pseudo-terminal.

On a terminal, a run shows one progress line on stderr (loading, SQL analysis, evaluation, with counts)
once it has taken ``GOVERN_PROGRESS_AFTER`` seconds (default 1; 0 here so a small mesh shows it), and
erases it before the result. Nothing when stderr or stdout is not a terminal, with --quiet, or when a
machine format goes to stdout. The library reports through a plain callback.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest
from meshkit import BASE_ORG, MeshDir

import govern
from govern.cli.progress import TerminalProgress

GOVERN = Path(sys.executable).parent / "govern"
TODAY = "2026-06-01"
LINE = re.compile(r"\r\x1b\[Kgovern: (loading|analysing SQL:|evaluating) ([\d,]+)/([\d,]+) (manifests|files|rules)")


def on_terminal(*args: str, after: str | None = "0", stdout_tty: bool = True) -> tuple[int, str, str]:
    """Run govern with stderr (and stdout) on a pseudo-terminal; (exit code, stdout, stderr)."""
    err_master, err_slave = pty.openpty()
    out_master, out_slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "GOVERN_PROGRESS_AFTER"}
    env["TERM"] = "xterm"
    if after is not None:
        env["GOVERN_PROGRESS_AFTER"] = after
    proc = subprocess.Popen([str(GOVERN), *args], stdout=out_slave if stdout_tty else subprocess.PIPE,
                            stderr=err_slave, env=env)
    os.close(err_slave)
    os.close(out_slave)
    chunks: dict[int, bytes] = {err_master: b"", out_master: b""}
    open_fds = [err_master, out_master]
    if not stdout_tty:
        assert proc.stdout is not None
        chunks[proc.stdout.fileno()] = b""
        open_fds.append(proc.stdout.fileno())
    while open_fds:
        ready, _, _ = select.select(open_fds, [], [], 120)
        assert ready, "no output for 120 s"
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # the pty closed when the process exited
                data = b""
            if data:
                chunks[fd] += data
            else:
                open_fds.remove(fd)
    code = proc.wait()
    os.close(err_master)
    os.close(out_master)
    out = chunks[proc.stdout.fileno()] if not stdout_tty and proc.stdout else chunks[out_master]
    return code, out.decode().replace("\r\n", "\n"), chunks[err_master].decode()


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> MeshDir:
    mesh = MeshDir(tmp_path_factory.mktemp("progress"))
    mesh.org(BASE_ORG)
    mesh.product("sales.orders")
    for i in range(12):
        pid = f"finance.report_{i:02d}"
        mesh.product(pid, {"inputs": [{"product": "sales.orders"}], "execution": {"code": [f"report_{i:02d}.sql"]}})
        mesh.write(f"finance/report_{i:02d}/report_{i:02d}.sql", "select id from analytics.sales_prod.orders\n")
    return mesh


def _stages(stderr: str) -> dict[str, list[tuple[int, int]]]:
    out: dict[str, list[tuple[int, int]]] = {}
    for verb, done, total, _ in LINE.findall(stderr):
        out.setdefault(verb, []).append((int(done.replace(",", "")), int(total.replace(",", ""))))
    return out


def test_a_run_on_a_terminal_shows_each_stage_with_counts_and_erases_the_line(mesh: MeshDir) -> None:
    code, out, err = on_terminal("check", str(mesh.root), "--today", TODAY)
    assert code == 0, out + err
    stages = _stages(err)
    # loading first; the YAML rules are evaluated while the SQL is analysed, so evaluating ends the run
    assert set(stages) == {"loading", "analysing SQL:", "evaluating"} and next(iter(stages)) == "loading"
    assert LINE.findall(err)[-1][0] == "evaluating"
    assert all(total == 13 for _, total in stages["loading"])
    assert all(total == 12 for _, total in stages["analysing SQL:"])
    assert all(0 <= done <= total for counts in stages.values() for done, total in counts)
    assert err.endswith("\r\x1b[K")  # erased before the result is printed
    assert LINE.sub("", err).replace("\r\x1b[K", "") == ""  # nothing else on stderr
    assert "13 products checked against mesh-core 1.0.0" in out
    # the result is the one a run without a terminal prints
    plain = subprocess.run([str(GOVERN), "check", str(mesh.root), "--today", TODAY], capture_output=True, text=True)
    assert plain.stderr == "" and re.sub(r"\x1b\[[\d;]*m", "", out) == plain.stdout


@pytest.mark.parametrize("args", [
    ("gate",), ("scorecard",), ("lineage",), ("impact", "sales.orders"), ("report", "-o", "{tmp}/report"),
    ("baseline", "create", "-o", "{tmp}/baseline.json"),
], ids=lambda a: a[0])
def test_every_command_that_reads_the_mesh_shows_progress(mesh: MeshDir, args: tuple[str, ...],
                                                          tmp_path: Path) -> None:
    words = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if words[0] == "impact":
        words = ["impact", str(mesh.root), *words[1:]]
    else:
        words.insert(2 if words[0] == "baseline" else 1, str(mesh.root))
    code, out, err = on_terminal(*words, "--today", TODAY) if words[0] not in ("lineage", "impact") \
        else on_terminal(*words)
    assert code == 0, out + err
    assert "loading" in _stages(err), err


@pytest.mark.parametrize("args", [("--quiet",), ("-q",), ("-f", "json"), ("-f", "sarif")], ids=" ".join)
def test_quiet_and_machine_formats_show_nothing(mesh: MeshDir, args: tuple[str, ...]) -> None:
    code, out, err = on_terminal("check", str(mesh.root), "--today", TODAY, *args)
    assert code == 0
    assert err == ""
    if "json" in args:
        assert json.loads(out)["summary"]["products"] == 13
    # lineage and scorecard in a machine format, too
    assert on_terminal("lineage", str(mesh.root), "-f", "json")[2] == ""
    assert on_terminal("scorecard", str(mesh.root), "--format", "json", "--today", TODAY)[2] == ""


def test_nothing_when_stdout_or_stderr_is_not_a_terminal(mesh: MeshDir) -> None:
    code, out, err = on_terminal("check", str(mesh.root), "--today", TODAY, stdout_tty=False)
    assert code == 0 and err == "" and "13 products checked" in out
    proc = subprocess.run([str(GOVERN), "check", str(mesh.root), "--today", TODAY], capture_output=True, text=True,
                          env={**os.environ, "GOVERN_PROGRESS_AFTER": "0"})
    assert proc.returncode == 0 and proc.stderr == ""


def test_a_run_shorter_than_the_delay_draws_nothing() -> None:
    class Stream:
        written = ""

        def write(self, text: str) -> None:
            Stream.written += text

        def flush(self) -> None:
            pass

    quick = TerminalProgress(Stream(), after=60.0)  # type: ignore[arg-type]
    for i in range(1, 101):
        quick("load", i, 100)
    quick.close()
    assert Stream.written == ""
    slow = TerminalProgress(Stream(), after=0.0)  # type: ignore[arg-type]
    slow("load", 1, 100)
    slow("load", 2, 100)  # within 0.1 s of the first: not redrawn
    slow("rules", 1, 66)  # a new stage is drawn at once
    slow.close()
    assert Stream.written == ("\r\x1b[Kgovern: loading 1/100 manifests\r\x1b[Kgovern: evaluating 1/66 rules"
                              "\r\x1b[K")


def test_the_library_reports_through_a_plain_callback(mesh: MeshDir) -> None:
    seen: list[tuple[str, int, int]] = []
    result = govern.check([mesh.root], today=None, progress=lambda *call: seen.append(call))
    assert result.products and seen
    stages = [s for s, _, _ in seen]
    assert stages[0] == "load" and stages[-1] == "rules" and set(stages) == {"load", "sql", "rules"}
    # loading, then the YAML rules while the SQL is analysed (in worker processes on a large mesh), then
    # the rest of the rules
    assert stages == sorted(stages, key=["load", "sql", "rules"].index) or stages.index("rules") < stages.index("sql")
    for stage in ("load", "sql", "rules"):
        counts = [(d, t) for s, d, t in seen if s == stage]
        done = [d for d, _ in counts]
        assert done == sorted(set(done)) and done[0] >= 0, stage  # counts only go up
        assert len({t for _, t in counts}) == 1 and counts[-1][0] == counts[-1][1], stage  # ends complete
    # one call per manifest; SQL from 0 (before waiting for scans started earlier) to every file (one
    # by one when scanned here, at once when the mesh index holds the scans); Cedar counts as a batch
    assert [d for s, d, _ in seen if s == "load"] == list(range(1, 14))
    sql = [d for s, d, _ in seen if s == "sql"]
    assert sql[0] == 0 and sql[-1] == 12
    assert govern.check([mesh.root], today=None).findings == result.findings
