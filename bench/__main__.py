"""``python -m bench``: generate meshes and measure govern on them (see bench/runner.py)."""

import sys

from bench.runner import main

sys.exit(main())
