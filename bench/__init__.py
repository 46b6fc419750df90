"""Benchmark harness of govern: synthetic meshes (bench/generate.py) and a runner (bench/runner.py).

Run ``python -m bench --sizes 1000,10000`` from the repository root; see docs/readme-bench.md.
"""
