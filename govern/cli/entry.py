"""The ``govern`` console script (and ``python -m govern``)."""

from __future__ import annotations

import os
import sys

try:  # the C module: ``signal`` builds enums on import, and a signal during that import would escape
    import _signal as signal
except ImportError:  # pragma: no cover - interpreters without it
    import signal  # type: ignore[no-redef]

TYPE_CHECKING = False  # no typing import before the handlers are installed

if TYPE_CHECKING:
    from collections.abc import Callable

_MAIN_PID = os.getpid()


def _interrupted(signum: int, _frame: object) -> None:
    """SIGINT/SIGTERM: exit 128+signal (130/143) at once, never 0 or 1, and never with a traceback.

    Forked children (the early index child, SQL worker processes) inherit this handler and leave
    silently; the main process first stops the children it started, then says it was interrupted.
    """
    code = 128 + signum
    if os.getpid() != _MAIN_PID:
        os._exit(code)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    pids: list[int] = []
    changed = sys.modules.get("govern.incremental.changed")
    if changed is not None:
        pids.extend(pid for pid, _fd in getattr(changed, "_EARLY", {}).values())
    mp = sys.modules.get("multiprocessing")
    if mp is not None:
        _quietly(lambda: pids.extend(p.pid for p in mp.active_children() if p.pid))
    for pid in pids:
        _quietly(os.kill, pid, signal.SIGTERM)
    name = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}.get(signum, f"signal {signum}")
    _quietly(os.write, 2, f"govern: interrupted ({name}); nothing was decided\n".encode())
    os._exit(code)


def _quietly(fn: Callable[..., object], *args: object) -> None:
    """Call ``fn``; on the way out after a signal, a failure to tidy up must not stop the exit."""
    try:
        fn(*args)
    except Exception:
        return


def install_signal_handlers() -> None:
    """Route SIGINT and SIGTERM to ``_interrupted`` in this process (and the children it forks)."""
    global _MAIN_PID
    _MAIN_PID = os.getpid()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _interrupted)


# as early as the console script allows: a signal during the imports below must not print a traceback
install_signal_handlers()


def main() -> None:
    """Run the CLI of ``govern.cli.main``.

    For ``govern check FILE...`` (what pre-commit runs) the mesh index is first compared with the disk
    in a forked child (``govern.incremental.changed.start_early``), on the other core while click, pydantic and
    cedarpy are imported here.
    """
    from govern.incremental.changed import start_early

    install_signal_handlers()
    start_early(sys.argv[1:])
    from govern.cli.main import main as run

    run()
