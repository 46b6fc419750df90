"""The attack corpus (attacks.yaml): each attack tries to make ``govern gate`` ALLOW a mesh that breaks the
standards, or to make govern print a traceback. See README.md in this directory for the threat model.

For every attack the violation is first shown to be real: the clean mesh plus the violation, with caches off
(``GOVERN_CACHE=0``) and no trick, must be BLOCKED with the attack's rule. Then the attack's steps run on a
fresh clean mesh through the console script (a real process, real files), and the verdict of the last step
must not be ALLOWED; no step may print a traceback.

The attacks run in a few threads (each step is a child process), started when the first attack test asks for
them: the corpus is one minute of CPU, this keeps its wall time down on two cores.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))

from meshes import Outcome, Workspace, stop_zygotes

HERE = Path(__file__).parent
CORPUS: list[dict[str, Any]] = yaml.safe_load((HERE / "attacks.yaml").read_text(encoding="utf-8"))["attacks"]
SIGNAL_EXITS = {2, 130, 143}
WORKERS = int(os.environ.get("GOVERN_ATTACK_WORKERS", "0")) or min(4, (os.cpu_count() or 1) + 1)


@dataclass
class Played:
    """What running one attack gave: the uncached proof of its violation, the runs of its steps."""

    proof: Outcome | None
    runs: list[Outcome]


def _steps(attack: dict[str, Any]) -> list[dict[str, Any]]:
    """The attack's steps with ``- violation: true`` replaced by its violation."""
    out: list[dict[str, Any]] = []
    for step in attack["steps"]:
        out += (attack.get("violation") or []) if "violation" in step else [step]
    return out


def _prove(violation: list[dict[str, Any]], tmp: Path) -> Outcome:
    """The clean mesh plus the violation, gated with caches off."""
    plain = Workspace(tmp)
    for step in violation:
        plain.apply(step)
    return plain.run({"args": ["."], "env": {"GOVERN_CACHE": "0"}})


def _play(attack: dict[str, Any], tmp: Path, proof: Future | None) -> Played:
    work = Workspace(tmp)
    runs = [outcome for step in _steps(attack) if (outcome := work.apply(step)) is not None]
    return Played(proof.result() if proof is not None else None, runs)


@pytest.fixture(scope="session")
def played(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Futures of every selected attack, keyed by id (proofs shared by attacks with the same violation)."""
    selected = [item.callspec.params["attack"] for item in request.session.items
                if hasattr(item, "callspec") and "attack" in item.callspec.params]
    pool = ThreadPoolExecutor(max_workers=WORKERS)
    proofs: dict[str, Future] = {}
    futures: dict[str, Future] = {}
    for attack in selected:  # proofs first: every attack with a violation waits for one
        if attack.get("violation"):
            key = yaml.safe_dump(attack["violation"], sort_keys=True)
            if key not in proofs:
                proofs[key] = pool.submit(_prove, attack["violation"], tmp_path_factory.mktemp("proof"))
    for attack in selected:
        key = yaml.safe_dump(attack.get("violation"), sort_keys=True)
        futures[attack["id"]] = pool.submit(_play, attack, tmp_path_factory.mktemp(attack["id"][:40]),
                                            proofs.get(key))
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)
    stop_zygotes()


def _exit_code(run: Outcome) -> int:
    """The exit status as CI's shell sees it (a process killed by signal N: 128 + N)."""
    return 128 - run.exit_code if run.exit_code < 0 else run.exit_code


def _before_govern_ran(run: Outcome) -> bool:
    """A signal that killed the process in Python's own start-up or the console script's ``import re``,
    before any file of govern ran: Python prints its KeyboardInterrupt and dies by the signal (exit 130).
    govern cannot install a handler earlier than its first line (a known limit, docs/readme-trust.md)."""
    return (run.signalled and run.exit_code < 0 and "KeyboardInterrupt" in run.output
            and "/govern/" not in run.output)


def _no_traceback(run: Outcome) -> None:
    if not _before_govern_ran(run):
        assert "Traceback (most recent call last)" not in run.output, f"TRACEBACK: {run.describe()}"
    assert _exit_code(run) in (0, 1, 2, 130, 143), f"CRASH (exit {run.exit_code}): {run.describe()}"


def _judge(attack: dict[str, Any], run: Outcome) -> None:
    expect = attack.get("expect", "not-allow")
    code = _exit_code(run)
    if expect == "allow":
        assert code == 0, f"control case not allowed: {run.describe()}"
        return
    assert code != 0, f"FALSE ALLOW: {run.describe()}"
    if expect == "interrupted":
        if run.signalled:
            assert code in SIGNAL_EXITS, f"interrupted run exits {code}: {run.describe()}"
        return
    assert code in (1, 2), f"CRASH (exit {run.exit_code}): {run.describe()}"
    if expect == "undecided":
        assert code == 2, f"expected UNDECIDED (exit 2): {run.describe()}"
    rule = attack.get("rule")
    if rule and code == 1 and attack.get("report_rule", True):
        assert rule in run.output, f"blocked, but without {rule}: {run.describe()}"


def test_corpus_shape() -> None:
    """At least 40 attacks over at least 12 classes, unique ids, every one ending with a gate or check."""
    ids = [a["id"] for a in CORPUS]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 40
    assert len({a["class"] for a in CORPUS}) >= 12
    for attack in CORPUS:
        assert attack["steps"][-1].get("run", {}).get("command", "gate") in ("gate", "check"), attack["id"]
        assert "run" in attack["steps"][-1], attack["id"]
        assert attack.get("violation") or attack.get("why") or attack.get("expect") == "allow", attack["id"]


@pytest.mark.parametrize("attack", CORPUS, ids=[a["id"] for a in CORPUS])
def test_attack(attack: dict[str, Any], played: dict[str, Future]) -> None:
    """The violation blocks without tricks; with the trick the gate still does not allow, and never crashes."""
    result: Played = played[attack["id"]].result(timeout=600)
    if attack.get("violation"):
        shown = result.proof
        assert shown is not None and shown.exit_code == 1, f"attack setup: the plain violation is not blocked: {shown}"
        if attack.get("rule"):
            assert attack["rule"] in shown.output, f"attack setup: no {attack['rule']}: {shown.describe()}"
    for run in result.runs:
        _no_traceback(run)
    _judge(attack, result.runs[-1])
