"""Where a large build's time goes (issue 13, section 8): the entrypoint's `build` step against
the same build run by dbt itself, on a generated project of MODELS models (and two tests each).

  .venv/bin/python bench/build_bench.py [--models 500] [--repeats 3]

dbt CLI      `dbt build` as one would type it, with the entrypoint's project, profile,
             target and log folder, and dbt's defaults otherwise.
dbtRunner    a Python process that parses, then runs `build` through dbtRunner with the
             parsed manifest and no callbacks: dbt in one process, nothing of ours.
entrypoint   container/entrypoint.py with `freshness: skip` and `docs: false`: deps check,
             parse, then the same `build`, with its callbacks, redacted output and log settings.

Each side starts from a baked partial parse. The figure compared is dbt's own `elapsed_time`
in run_results.json: the build's nodes, without the process's start-up and parse, which the
scale benchmark measures. Runs interleaved, medians; results: bench/out/build.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_project import generate_project
from scale_bench import (
    DBT,
    ENTRYPOINT,
    PYTHON,
    REPO,
    bake,
    base_env,
    entrypoint_env,
    interleaved,
    run_measured,
    seed_warehouse,
)

# dbtRunner's side: the parse the entrypoint makes, then the build with its manifest.
DBT_RUNNER_BUILD = """
import sys
from dbt.cli.main import dbtRunner
flags = sys.argv[1:]
parsed = dbtRunner().invoke(["parse", "--no-write-json", *flags])
built = dbtRunner(manifest=parsed.result).invoke(["build", *flags])
sys.exit(0 if parsed.success and built.success else 1)
"""


def dbt_flags(project: Path, logs: Path) -> list[str]:
    return [
        "--project-dir", str(project), "--profiles-dir", str(project),
        "--target-path", str(project / "target"), "--log-path", str(logs),
        "--no-send-anonymous-usage-stats", "--no-use-colors",
    ]  # fmt: skip


def build_seconds(project: Path) -> float:
    """dbt's own time for the build's nodes, from the run_results.json it has just written."""
    return json.loads((project / "target" / "run_results.json").read_text())["elapsed_time"]


def measure(argv: list[str], env: dict[str, str], project: Path, warehouse: Path) -> dict[str, float]:
    bake(project, warehouse)
    shutil.rmtree(project.parent / "logs", ignore_errors=True)
    seconds, _, _, _ = run_measured(argv, env, project)
    return {"build_s": round(build_seconds(project), 2), "process_s": round(seconds, 2)}


def sides(project: Path, warehouse: Path) -> dict[str, Callable[[int], dict[str, float]]]:
    flags = dbt_flags(project, project.parent / "logs")
    env = base_env(warehouse)
    spec = {"freshness": "skip", "docs": False}
    dbt_cli = [str(DBT), "build", *flags]
    dbt_runner = [str(PYTHON), "-c", DBT_RUNNER_BUILD, *flags]
    entrypoint = [str(PYTHON), str(ENTRYPOINT)]
    return {
        "dbt CLI": lambda _n: measure(dbt_cli, env, project, warehouse),
        "dbtRunner": lambda _n: measure(dbt_runner, env, project, warehouse),
        "entrypoint": lambda n: measure(
            entrypoint, entrypoint_env(project, warehouse, f"build-{n}", spec), project, warehouse
        ),
    }


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "build.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        root = Path(tmp)
        project = generate_project(root / "project", args.models)
        warehouse = root / "warehouse.duckdb"
        seed_warehouse(project, warehouse)
        runs = interleaved(args.repeats, sides(project, warehouse))
    baseline = statistics.median(run["build_s"] for run in runs["dbt CLI"])
    results = []
    for name, measured in runs.items():
        median = statistics.median(run["build_s"] for run in measured)
        results.append(
            {
                "benchmark": f"build's nodes, {name} vs dbt CLI, {args.models} models",
                "baseline_s": round(baseline, 2),
                "ours_s": round(median, 2),
                "ratio": round(median / baseline, 3),
                "process_s": [run["process_s"] for run in measured],
                "runs": args.repeats,
            }
        )
        print(json.dumps(results[-1]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
