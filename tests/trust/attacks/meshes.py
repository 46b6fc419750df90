"""The clean mesh every attack starts from, and the operations an attack's steps are made of."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meshkit import MeshDir

from govern.standards.pack import default_pack_root

TODAY = "2026-06-01"
OLD = 1_735_689_600  # 2025-01-01T00:00:00Z: old enough for the mesh index to trust a file by its stat
GOVERN = Path(sys.executable).with_name("govern")
SPAWN = os.environ.get("GOVERN_ATTACK_SPAWN", "") not in ("", "0")  # 1: every run a fresh process
_ZYGOTES = threading.local()
_STARTED: list[subprocess.Popen] = []


def stop_zygotes() -> None:
    """End the zygote processes this test run started (each ends when its stdin closes)."""
    while _STARTED:
        proc = _STARTED.pop()
        proc.stdin.close()
        proc.wait(timeout=30)

TOMBSTONED = {
    "lifecycle": {
        "state": "tombstoned",
        "events": [{"state": "init", "at": "2024-01-10"}, {"state": "active", "at": "2024-02-01"},
                   {"state": "deprecated", "at": "2024-06-01"}, {"state": "retired", "at": "2024-09-01"},
                   {"state": "tombstoned", "at": "2025-01-01"}],
        "sunset": "2024-09-01",
        "replacedBy": "crm.customers",
    },
    "tombstone": {"at": "2025-01-01", "reason": "replaced by crm.customers"},
}
RESTRICTED_PORT = {"outputPorts": [{"name": "contacts", "type": "table", "location": "analytics.crm_prod.contacts",
                                    "classification": "restricted", "columns": [{"name": "id", "type": "string"}]}]}
REPORT_SQL = ("select o.id, c.id as cid\n"
              "from analytics.sales_prod.orders as o\n"
              "join analytics.crm_prod.customers as c on o.id = c.id\n")


def clean_mesh(root: Path) -> MeshDir:
    """Five products that pass every rule: two sources, a restricted one, a tombstoned one, and
    sales.report whose SQL reads sales.orders and crm.customers. ``govern gate`` allows it."""
    mesh = MeshDir(root)
    mesh.org()
    mesh.write("govern.yaml", "standards:\n  pack: mesh-core\n  version: 1.0.0\n")
    mesh.product("sales.orders")
    mesh.product("crm.customers")
    mesh.product("crm.contacts", RESTRICTED_PORT)
    mesh.product("crm.legacy", TOMBSTONED)
    mesh.product("sales.report", {"inputs": [{"product": "sales.orders"}, {"product": "crm.customers"}],
                                  "execution": {"job": "airflow:sales/report_daily", "code": ["report.sql"]}})
    mesh.write("sales/report/report.sql", REPORT_SQL)
    return mesh


@dataclass
class Outcome:
    """One finished (or interrupted) run of the console script."""

    args: list[str]
    exit_code: int
    stdout: str
    stderr: str
    signalled: bool = False  # the signal reached a process that was still running

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def describe(self) -> str:
        tail = "\n".join(self.output.strip().splitlines()[-12:])
        return f"govern {' '.join(self.args)} -> exit {self.exit_code}\n{tail}"


class Workspace:
    """The directories of one attack: the mesh root, a place outside it, the CI runner's cache."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.root = tmp / "mesh"
        self.out = tmp / "outside"
        self.out.mkdir(parents=True, exist_ok=True)
        self.cache_home = tmp / "runner-cache"  # XDG_CACHE_HOME of the CI runner (restored from its cache)
        self.mesh = clean_mesh(self.root)

    def expand(self, text: str) -> str:
        return text.replace("{root}", str(self.root)).replace("{out}", str(self.out)).replace(
            "{tmp}", str(self.tmp)).replace("{pack}", str(default_pack_root()))

    def path(self, rel: str) -> Path:
        """``rel`` relative to the mesh root, or absolute after expanding {root} {out} {tmp}."""
        text = self.expand(rel)
        return Path(text) if os.path.isabs(text) else self.root / text

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.tmp / "home"), "NO_COLOR": "1",
               "XDG_CACHE_HOME": str(self.cache_home), "LC_ALL": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
        for key, value in (extra or {}).items():
            env[key] = self.expand(str(value))
        return env

    def start(self, spec: dict[str, Any]) -> tuple[subprocess.Popen, list[str]]:
        args = self.argv(spec)
        cwd = self.path(spec.get("cwd", "."))
        proc = subprocess.Popen([str(GOVERN), *args], cwd=cwd, env=self.env(spec.get("env")),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
        return proc, args

    def run(self, spec: dict[str, Any]) -> Outcome:
        """Run the console script as CI would; ``signal``/``after`` interrupt it (always a fresh process)."""
        if SPAWN or "signal" in spec:
            return self.spawn(spec)
        args = self.argv(spec)
        zygote = getattr(_ZYGOTES, "proc", None)
        if zygote is None or zygote.poll() is not None:
            zygote = _ZYGOTES.proc = subprocess.Popen(
                [sys.executable, str(Path(__file__).with_name("zygote.py"))], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
            _STARTED.append(zygote)
        out, err = self.tmp / "stdout.txt", self.tmp / "stderr.txt"
        request = {"argv": args, "cwd": str(self.path(spec.get("cwd", "."))), "env": self.env(spec.get("env")),
                   "out": str(out), "err": str(err)}
        zygote.stdin.write(json.dumps(request) + "\n")
        zygote.stdin.flush()
        zygote.stdout.readline()  # the child's pid
        code = int(zygote.stdout.readline())
        return Outcome(args, code, out.read_text(errors="replace"), err.read_text(errors="replace"))

    def argv(self, spec: dict[str, Any]) -> list[str]:
        command = spec.get("command", "gate")
        args = [command, *[self.expand(a) for a in spec.get("args", ["."])]]
        if command in ("check", "gate") and spec.get("today", True):
            args += ["--today", TODAY]
        return args

    def spawn(self, spec: dict[str, Any]) -> Outcome:
        """A run in a fresh process of the console script."""
        proc, args = self.start(spec)
        signalled = False
        if "signal" in spec:
            time.sleep(float(spec.get("after", 0.1)))
            if proc.poll() is None:
                proc.send_signal(getattr(signal, spec["signal"]))
                signalled = True
        out, err = proc.communicate(timeout=120)
        return Outcome(args, proc.returncode, out, err, signalled)

    # ------------------------------------------------------------------ operations

    def apply(self, op: dict[str, Any]) -> Outcome | None:
        """Apply one step of an attack; a run step returns its outcome."""
        (name, arg), = op.items()
        if name == "run":
            return self.run(arg)
        getattr(self, "op_" + name)(arg)
        return None

    def op_write(self, arg: dict[str, Any]) -> None:
        path = self.path(arg["path"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.expand(arg.get("text", "")), encoding="utf-8")

    def op_product(self, arg: dict[str, Any]) -> None:
        self.mesh.product(arg["id"], arg.get("overlay"), relpath=arg.get("path"))

    def op_edit(self, arg: dict[str, Any]) -> None:
        """Replace text in a file in place; ``keep_stat`` keeps its size and restores its mtime."""
        path = self.path(arg["path"])
        before = os.stat(path)
        text = path.read_text(encoding="utf-8")
        for old, new in arg["pairs"]:
            assert old in text, f"attack setup: {old!r} not in {path}"
            text = text.replace(old, new)
        data = text.encode("utf-8")
        if arg.get("keep_stat"):
            assert len(data) == before.st_size, f"attack setup: the edit of {path} changes its size"
        with open(path, "r+b") as fh:  # in place: same inode, the directory is untouched
            fh.write(data)
            fh.truncate()
        if arg.get("keep_stat"):
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))

    def op_append(self, arg: dict[str, Any]) -> None:
        path = self.path(arg["path"])
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(self.expand(arg["text"]))

    def op_remove(self, rel: str) -> None:
        path = self.path(rel)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()

    def op_move(self, arg: dict[str, Any]) -> None:
        dest = self.path(arg["to"])
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.rename(self.path(arg["path"]), dest)

    def op_copy(self, arg: dict[str, Any]) -> None:
        src, dest = self.path(arg["path"]), self.path(arg["to"])
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dest, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dest)

    def op_symlink(self, arg: dict[str, Any]) -> None:
        path = self.path(arg["path"])
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() or path.is_symlink():
            self.op_remove(str(path))
        os.symlink(self.expand(arg["to"]), path)

    def op_mkdir(self, rel: str) -> None:
        self.path(rel).mkdir(parents=True, exist_ok=True)

    def op_age(self, when: float | None) -> None:
        """Every file and directory of the mesh stamped with one mtime, as archive tools, Nix and CI cache
        layers do (default 2025-01-01; a negative value: that many seconds ago)."""
        stamp = OLD if when is None else (time.time() + when if when < 0 else when)  # < 0: seconds ago
        ns = (int(stamp * 1e9), int(stamp * 1e9))
        for dirpath, dirnames, filenames in os.walk(self.root):
            for name in dirnames + filenames:
                os.utime(os.path.join(dirpath, name), ns=ns, follow_symlinks=False)
        os.utime(self.root, ns=ns)

    def op_pack(self, rel: str) -> None:
        """A copy of the shipped standards pack (rules/ and standards/) at ``rel``."""
        dest = self.path(rel)
        src = default_pack_root()
        shutil.copytree(src / "rules", dest / "rules")
        shutil.copytree(src / "standards", dest / "standards")

    def op_git(self, args: list[str]) -> None:
        """Run git in the mesh root (a fixed author and date, no user configuration)."""
        env = {**self.env(), "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.com",
               "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@example.com",
               "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
        subprocess.run(["git", *[self.expand(a) for a in args]], cwd=self.root, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def op_products(self, arg: dict[str, Any]) -> None:
        """``count`` products ``<prefix>_<i>`` in one domain, each with the same overlay."""
        for i in range(int(arg["count"])):
            self.mesh.product(f"{arg['prefix']}_{i:03d}", arg.get("overlay"))
