#!/usr/bin/env bash
# Regenerate the committed manifests of the real dbt projects with dbt itself, then trim them
# (trim_manifest.py: the macros of dbt, the adapter and installed packages are removed; govern reads
# none of them). dbt is not a govern dependency: it runs from its own virtualenv (default
# /work/dbtvenv), dbt-core 1.10.x + dbt-duckdb 1.10.x (1.11+ downloads a binary while installing).
#
#   DBT_VENV=/work/dbtvenv tests/corpus/real/dbt/regenerate.sh
#
# dbt_project_evaluator_integration_tests needs its packages, which are not committed (dbt installs
# them into dbt_packages/): the dbt-project-evaluator repository (the package itself, at the commit
# in SOURCES.tsv) and dbt-utils, given as DPE_REPO and DBT_UTILS (local checkouts; no network).
# The projects are built in a scratch copy under /tmp/govern-corpus-dbt (a fixed path: dbt writes
# it into the manifest).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${DBT_VENV:-/work/dbtvenv}"
python="${PYTHON:-python3}"
scratch=/tmp/govern-corpus-dbt
export DBT_SEND_ANONYMOUS_USAGE_STATS=false DO_NOT_TRACK=1
rm -rf "$scratch" && mkdir -p "$scratch"

compile() {  # compile NAME [PROJECT-SUBDIR]: dbt compile in a scratch copy, keep the trimmed manifest
  local name="$1" sub="${2:-.}" work="$scratch/$1"
  cp -r "$here/$name" "$work"
  (cd "$work/$sub" && DBT_DUCKDB_PATH="$scratch/$name.duckdb" "$venv/bin/dbt" compile --profiles-dir . \
     --no-partial-parse --quiet)
  mkdir -p "$here/$name/$sub/target"
  cp "$work/$sub/target/manifest.json" "$here/$name/$sub/target/manifest.json"
  "$python" "$here/trim_manifest.py" "$here/$name/$sub/target/manifest.json"
}

compile jaffle_shop_duckdb
compile jaffle_shop_classic
if [ -n "${DPE_REPO:-}" ] && [ -n "${DBT_UTILS:-}" ]; then
  # the project's packages.yml names the package as `local: ../`: rebuild that layout in the scratch copy
  mkdir -p "$scratch/dpe" && cp -r "$DPE_REPO"/. "$scratch/dpe/" && rm -rf "$scratch/dpe/.git"
  cp -r "$DBT_UTILS" "$scratch/dpe/dbt_utils" && printf 'packages:\n  - local: ../dbt_utils\n' > "$scratch/dpe/packages.yml"
  rm -rf "$scratch/dpe/integration_tests" && cp -r "$here/dbt_project_evaluator_integration_tests" "$scratch/dpe/integration_tests"
  (cd "$scratch/dpe/integration_tests" && "$venv/bin/dbt" deps --profiles-dir . --quiet &&
   DBT_DUCKDB_PATH="$scratch/dpe.duckdb" "$venv/bin/dbt" compile --profiles-dir . --no-partial-parse --quiet)
  mkdir -p "$here/dbt_project_evaluator_integration_tests/target"
  cp "$scratch/dpe/integration_tests/target/manifest.json" "$here/dbt_project_evaluator_integration_tests/target/manifest.json"
  "$python" "$here/trim_manifest.py" "$here/dbt_project_evaluator_integration_tests/target/manifest.json"
else
  echo "skipped dbt_project_evaluator_integration_tests: set DPE_REPO and DBT_UTILS" >&2
fi
