"""Run a command in a fresh process and measure its wall time and memory.

Peak memory is reported two ways: ``maxrss`` (the largest single process of the tree, from
``os.wait4``'s resource usage, as ``/usr/bin/time -v`` reports it) and ``treeRss`` (the largest sum of
the proportional set sizes (PSS) of the process and all its descendants, sampled from /proc every 0.2 s:
it includes the workers of a process pool, and counts a page shared after fork once, not once per process).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.2  # memory samples; the peak of a check is a plateau that lasts until it exits


@dataclass
class Run:
    """One measured command."""

    argv: list[str]
    wall: float
    exit_code: int
    maxrss_mb: float
    tree_rss_mb: float | None
    stdout: str
    stderr: str

    def to_dict(self) -> dict:
        return {"wall": round(self.wall, 4), "exitCode": self.exit_code, "maxrssMB": round(self.maxrss_mb, 1),
                "treeRssMB": round(self.tree_rss_mb, 1) if self.tree_rss_mb is not None else None}


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            out.extend(int(c) for c in text.split())
    except OSError:
        pass
    return out


def _rss_kb(pid: int) -> int:
    """Proportional set size (kB): pages shared after fork count once across the processes sharing them;
    the resident size when /proc has no smaps_rollup."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def tree_rss_kb(pid: int) -> int:
    """Memory of a process and all its descendants (kB, PSS)."""
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _rss_kb(p)
        todo.extend(_children(p))
    return total


def run(argv: list[str], cwd: str | Path | None = None, env: dict[str, str] | None = None,
        timeout: float | None = None) -> Run:
    """Run ``argv`` in a new process; wall time, exit code, peak memory, and its output."""
    out_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-{os.getpid()}-{time.monotonic_ns()}"
    peak = [0]
    done = threading.Event()
    with open(f"{out_path}.out", "wb") as out, open(f"{out_path}.err", "wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err)
        # The sampler and the timeout live on a thread that wakes SAMPLE_SECONDS apart: the measured
        # run has both cores to itself (reading smaps_rollup of a large process walks its page tables).
        def watch() -> None:
            while not done.wait(SAMPLE_SECONDS):
                if sample_memory:
                    peak[0] = max(peak[0], tree_rss_kb(proc.pid))
                if timeout and time.perf_counter() > started + timeout:
                    proc.kill()

        sample_memory = Path("/proc").is_dir()
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        watcher.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    stdout = Path(f"{out_path}.out").read_text(errors="replace")
    stderr = Path(f"{out_path}.err").read_text(errors="replace")
    for suffix in (".out", ".err"):
        Path(f"{out_path}{suffix}").unlink(missing_ok=True)
    # ru_maxrss is in kB on Linux, bytes on macOS
    scale = 1 / 1024 / 1024 if sys.platform == "darwin" else 1 / 1024
    return Run(list(argv), wall, proc.returncode, usage.ru_maxrss * scale, peak[0] / 1024 if peak[0] else None,
               stdout, stderr)


def machine() -> dict:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem = None
    versions = {}
    for dist in ("govern-mesh", "sqlglot", "cedarpy", "pydantic", "PyYAML"):
        try:
            from importlib.metadata import version

            versions[dist] = version(dist)
        except Exception:
            versions[dist] = None
    try:
        from importlib.metadata import distribution

        distribution("sqlglotc")
        versions["sqlglotc"] = "installed"
    except Exception:
        versions["sqlglotc"] = None
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memoryGiB": round(mem, 1) if mem else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadAverage": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "versions": versions,
    }
