#!/bin/sh
# The dbt project's part of the image build (container/Dockerfile), in two steps:
#
#   bake-project.sh place   with the build context at /context: checks the project and lays
#                           out /out as the image's /app: the project as /out/dbt, and each local
#                           package it lists from outside its folder (`local: ../helpers`) at
#                           the same place relative to it.
#   bake-project.sh bake    as the runner's user: installs the packages (`dbt deps`, against
#                           package-lock.yml) so that runs need no internet, and parses the
#                           project so that runs start with partial parsing.
#
# A profile that needs values only a run has (the warehouse secret's DBT_WAREHOUSE_* and
# DBT_ENV_SECRET_* variables) cannot be parsed here: the image is still good, and each run parses at start.
# Anything else that stops the parse (a project error, a target the profile does not have)
# fails the build, as it would fail every run.
set -eu
project=/app/dbt

fail() {
  echo "bake-project: $*" >&2
  exit 1
}

place() {
  source="/context/${DBT_PROJECT:?}"
  [ -d "$source" ] || fail "DBT_PROJECT '$DBT_PROJECT': no such folder in the build context (the repository root)"
  [ -f "$source/dbt_project.yml" ] \
    || fail "DBT_PROJECT '$DBT_PROJECT' has no dbt_project.yml: it must name a dbt project folder, relative to the repository root"
  [ -f "$source/profiles.yml" ] \
    || fail "DBT_PROJECT '$DBT_PROJECT' has no profiles.yml: the image reads the profile from the project folder (DBT_PROFILES_DIR=$project)"
  # dbt links a local package where packages.yml says, relative to the project, so one from
  # outside the folder must sit at that place in the image too.
  /opt/venv/bin/python - <<'EOF'
import os
import shutil
import sys

import yaml

source = os.path.join("/context", os.environ["DBT_PROJECT"])
project = "/app/dbt"
ignore = shutil.ignore_patterns("target", "logs", "dbt_packages", "*.duckdb", "*.duckdb.wal")
shutil.copytree(source, "/out/dbt", ignore=ignore)
for listing in ("packages.yml", "dependencies.yml"):
    path = os.path.join(source, listing)
    if not os.path.isfile(path):
        continue
    with open(path) as file:
        entries = (yaml.safe_load(file) or {}).get("packages") or []
    for entry in entries:
        local = entry.get("local") if isinstance(entry, dict) else None
        if not isinstance(local, str) or "{{" in local:
            continue
        placed = os.path.normpath(os.path.join(project, local))
        if placed == project or placed.startswith(project + "/"):
            continue
        inside_app = placed.startswith("/app/") and os.path.relpath(placed, "/app").split("/")[0] != "container"
        if not inside_app:
            sys.exit(
                f"bake-project: {listing}: local package {local!r} would land at {placed}, outside "
                "the image's /app (or in its /app/container): keep it within the project's parent folder"
            )
        if not os.path.isfile(os.path.join(source, local, "dbt_project.yml")):
            sys.exit(f"bake-project: {listing}: local package {local!r} has no dbt_project.yml")
        shutil.copytree(os.path.join(source, local), "/out" + placed[len("/app") :], ignore=ignore, dirs_exist_ok=True)
        print(f"bake-project: local package {local} placed at {placed}")
EOF
}

bake() {
  log=/tmp/bake-parse.log
  # An empty build argument is still an environment variable, and a profile that reads
  # env_var('DBT_TARGET', 'default') would then name an empty target.
  if [ -z "${DBT_TARGET:-}" ]; then
    unset DBT_TARGET
  fi

  # The stage's non-secret connection values (scripts/build-image --parse-env): a build secret,
  # so they reach dbt's parse hash and nothing else in the image.
  if [ -r /run/secrets/parse_env ]; then
    set -a
    # shellcheck disable=SC1091 # a file the builder mounts
    . /run/secrets/parse_env
    set +a
  fi

  if [ -f "$project/packages.yml" ] || [ -f "$project/dependencies.yml" ]; then
    locked=false
    [ ! -f "$project/package-lock.yml" ] || locked=true
    dbt deps --project-dir "$project" --no-use-colors
    if ! $locked && [ -f "$project/package-lock.yml" ]; then
      echo "bake-project: the project has no package-lock.yml, so dbt resolved its packages now; commit the lock file that \`dbt deps\` writes for reproducible builds"
    fi
  fi

  parsed_target="the profile's default target"
  [ -z "${DBT_TARGET:-}" ] || parsed_target="target $DBT_TARGET"
  if dbt parse --project-dir "$project" --profiles-dir "$project" ${DBT_TARGET:+--target "$DBT_TARGET"} \
    --no-use-colors >"$log" 2>&1; then
    echo "bake-project: parsed ($parsed_target); runs with the same target, ENV and connection values start with partial parsing"
  else
    missing="$(sed -n "s/.*Env var required but not provided: '\([^']*\)'.*/\1/p" "$log" | head -n 1)"
    adapter="$(sed -n 's/.*Could not find adapter type \([A-Za-z0-9_]*\)!.*/\1/p' "$log" | head -n 1)"
    if [ -n "$missing" ]; then
      echo "bake-project: not parsed: the profile needs $missing, which only a run has; each run parses at start (scripts/build-image --parse-env bakes the parse)"
    elif [ -n "$adapter" ] && [ -z "${DBT_TARGET:-}" ]; then
      echo "bake-project: not parsed: the profile's default target is a $adapter target and this image has the ${DBT_ADAPTER:-other} adapter; each run parses at start (pass the stage's target as DBT_TARGET)"
    elif [ -n "$adapter" ]; then
      fail "target $DBT_TARGET is a $adapter target, and this image has the ${DBT_ADAPTER:-other} adapter (DBT_ADAPTER)"
    else
      cat "$log" >&2
      fail "dbt parse failed ($parsed_target)"
    fi
  fi
  rm -rf "$project/logs" "$log"
}

case "${1:-}" in
  place) place ;;
  bake) bake ;;
  *) fail "usage: bake-project.sh place|bake" ;;
esac
