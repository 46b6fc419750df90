"""A process that has imported govern once and forks one child per run of the console script.

Each request (one JSON line on stdin: argv, cwd, env, out, err) gets a child that takes that working
directory and environment, writes stdout and stderr to the named files and runs ``govern.cli.entry.main``,
the console script itself; the reply is the child's pid, then its exit status (as ``subprocess`` reports it:
-N when killed by signal N). It saves the ~0.4 s of imports per run; attacks that interrupt a run use a real
process instead (meshes.Workspace.run), as start-up is part of what they attack.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

import govern.cli.entry
import govern.cli.main
import govern.evaluate.engine


def _child(request: dict) -> None:
    code = 1
    try:
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(os.open(request["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 1)
        os.dup2(os.open(request["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 2)
        sys.argv = ["govern", *request["argv"]]
        try:
            govern.cli.entry.main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def main() -> None:
    """Serve requests until stdin closes."""
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            _child(request)
        print(pid, flush=True)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), flush=True)


if __name__ == "__main__":
    main()
