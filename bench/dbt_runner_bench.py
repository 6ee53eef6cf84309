"""Benchmarks of the dbt runner (issue 2). Every figure is a ratio against a baseline measured
in the same invocation, runs interleaved, medians taken: these machines are noisy.

  .venv/bin/python bench/dbt_runner_bench.py [wall|first-model|size|all] [--repeats N]

wall         the entrypoint vs the seed post's six separate dbt CLI calls (deps, debug, run,
             test, source freshness, docs generate), on the sample and on a generated project
             of about 300 models. Goal <= 0.6x.
first-model  seconds from start to the first model starting, with the partial parse baked
             as the image does vs a cold parse (generated project). Goal <= 0.3x.
size         installed size of the image's requirements vs the seed post's set (boto3,
             dbt-core, dbt-redshift, AWS CLI v1), each in a fresh venv. Needs PyPI.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_project import copy_sample_project, generate_project

REPO = Path(__file__).resolve().parents[1]
PYTHON = Path(sys.executable)
DBT = PYTHON.parent / "dbt"
ENTRYPOINT = REPO / "container" / "entrypoint.py"
GENERATED_MODELS = 300


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "RUN_", "ARTIFACTS_", "ENV"))}
    env.update(DBT_SEND_ANONYMOUS_USAGE_STATS="false", DO_NOT_TRACK="1")
    return env


def copy_project(destination: Path, generated_models: int = 0) -> Path:
    if generated_models:
        return generate_project(destination, generated_models)
    return copy_sample_project(destination)


def seeded_warehouse(project: Path, warehouse: Path) -> None:
    """A warehouse as production has it: raw data landed and the project built once before
    (the seed post's sequence runs no seeds and no snapshots, whose tests need them)."""
    env = {**base_env(), "DBT_DUCKDB_PATH": str(warehouse)}
    subprocess.run(
        [str(DBT), "build", "--project-dir", str(project), "--profiles-dir", str(project), "--quiet"],
        env=env, check=True, cwd=project,
    )  # fmt: skip


def run_entrypoint(project: Path, warehouse: Path, run_id: str, spec: dict | None = None) -> float:
    env = {
        **base_env(),
        "RUN_ID": run_id,
        "RUN_SPEC": json.dumps(spec or {}),
        "ARTIFACTS_URI": (project.parent / "artifacts").as_uri(),
        "DBT_PROJECT_DIR": str(project),
        "DBT_DUCKDB_PATH": str(warehouse),
    }
    started = time.perf_counter()
    completed = subprocess.run([str(PYTHON), str(ENTRYPOINT)], env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"entrypoint exited {completed.returncode}: {completed.stdout[-2000:]!r}")
    return elapsed


def run_seed_sequence(project: Path, warehouse: Path) -> float:
    """The seed post's container: one `dbt` process per step."""
    env = {**base_env(), "DBT_DUCKDB_PATH": str(warehouse)}
    common = ["--project-dir", str(project), "--profiles-dir", str(project)]
    steps = [["deps"], ["debug"], ["run"], ["test"], ["source", "freshness"], ["docs", "generate"]]
    started = time.perf_counter()
    for step in steps:
        completed = subprocess.run(
            [str(DBT), *step, *common], env=env, cwd=project, capture_output=True, check=False
        )
        if completed.returncode != 0:
            raise RuntimeError(
                f"dbt {' '.join(step)} exited {completed.returncode}: {completed.stdout[-2000:]!r}"
            )
    return time.perf_counter() - started


def interleaved(repeats: int, candidates: dict[str, Callable[[int], float]]) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {name: [] for name in candidates}
    for round_number in range(repeats):
        for name, measure in candidates.items():
            timings[name].append(measure(round_number))
    return timings


def ratio_result(benchmark: str, baseline: float, ours: float, goal: str, runs: int, unit: str = "s") -> dict:
    return {
        "benchmark": benchmark,
        f"baseline_{unit}": round(baseline, 2),
        f"ours_{unit}": round(ours, 2),
        "ratio": round(ours / baseline, 3),
        "goal": goal,
        "runs": runs,
    }


def wall_time(label: str, generated_models: int, repeats: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-wall-") as tmp:
        root = Path(tmp)
        project = copy_project(root / "project", generated_models)
        warehouse = root / "warehouse.duckdb"
        seeded_warehouse(project, warehouse)
        # Warm both once (the OS file cache, dbt's partial parse file) so neither pays first.
        run_seed_sequence(project, warehouse)
        run_entrypoint(project, warehouse, "warm-up")
        timings = interleaved(
            repeats,
            {
                "baseline": lambda _n: run_seed_sequence(project, warehouse),
                "ours": lambda n: run_entrypoint(project, warehouse, f"bench-{n}"),
            },
        )
    return ratio_result(
        f"wall time, entrypoint vs six dbt CLI calls, {label}",
        statistics.median(timings["baseline"]),
        statistics.median(timings["ours"]),
        "<= 0.6",
        repeats,
    )


def bench_wall(repeats: int) -> list[dict]:
    return [
        wall_time("sample project", 0, repeats),
        wall_time(f"generated project ({GENERATED_MODELS} models)", GENERATED_MODELS, repeats),
    ]


def seconds_to_first_model(project: Path, warehouse: Path, run_id: str) -> float:
    env = {
        **base_env(),
        "RUN_ID": run_id,
        "RUN_SPEC": json.dumps({"command": "run", "freshness": "skip", "docs": False}),
        "ARTIFACTS_URI": (project.parent / "artifacts").as_uri(),
        "DBT_PROJECT_DIR": str(project),
        "DBT_DUCKDB_PATH": str(warehouse),
    }
    started = time.perf_counter()
    process = subprocess.Popen([str(PYTHON), str(ENTRYPOINT)], env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    first = None
    for line in process.stdout:
        if first is None and " START sql " in line:
            first = time.perf_counter() - started
    process.wait()
    if first is None or process.returncode != 0:
        raise RuntimeError(f"no model started (exit {process.returncode})")
    return first


def bench_first_model(repeats: int) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench-parse-") as tmp:
        root = Path(tmp)
        project = copy_project(root / "project", GENERATED_MODELS)
        warehouse = root / "warehouse.duckdb"
        seeded_warehouse(project, warehouse)
        partial_parse = project / "target" / "partial_parse.msgpack"

        def baked(n: int) -> float:
            # As the image's build does: `dbt parse` with the runtime's target and env.
            subprocess.run(
                [str(DBT), "parse", "--project-dir", str(project), "--profiles-dir", str(project), "--quiet"],
                env={**base_env(), "DBT_DUCKDB_PATH": str(warehouse)}, check=True, cwd=project,
            )  # fmt: skip
            return seconds_to_first_model(project, warehouse, f"baked-{n}")

        def cold(n: int) -> float:
            partial_parse.unlink(missing_ok=True)
            return seconds_to_first_model(project, warehouse, f"cold-{n}")

        timings = interleaved(repeats, {"cold parse": cold, "baked partial parse": baked})
    return [
        ratio_result(
            f"time to first model, baked vs cold parse, generated project ({GENERATED_MODELS} models)",
            statistics.median(timings["cold parse"]),
            statistics.median(timings["baked partial parse"]),
            "<= 0.3",
            repeats,
        )
    ]


def installed_megabytes(requirements: list[str]) -> float:
    """site-packages of a fresh venv after `pip install` of `requirements`, under the image's
    constraints so that every package both sets share is the same version."""
    with tempfile.TemporaryDirectory(prefix="bench-size-") as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        subprocess.run(
            [str(PYTHON), "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet",
             "--disable-pip-version-check", "--no-compile", *requirements,
             "-c", str(REPO / "container" / "constraints.txt")],
            check=True,
        )  # fmt: skip
        site = next((venv / "lib").glob("python*/site-packages"))
        total = sum(
            path.stat().st_size for path in site.rglob("*") if path.is_file() and not path.is_symlink()
        )
        return total / 1_000_000


def bench_size(_repeats: int) -> list[dict]:
    # The redshift image's set: what every image installs, and the redshift adapter.
    files = [
        REPO / "container" / "requirements.txt",
        REPO / "container" / "adapters" / "redshift" / "requirements.txt",
    ]
    image = [line.split("#")[0].strip() for file in files for line in file.read_text().splitlines()]
    image = [line for line in image if line]
    # The seed post's set, with the same dbt and boto3 pins so only the AWS CLI differs.
    seed = [*image, "awscli<2"]
    return [
        ratio_result(
            "installed size, image requirements vs the seed post's (with AWS CLI v1)",
            installed_megabytes(seed),
            installed_megabytes(image),
            "report",
            1,
            unit="mb",
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("which", nargs="?", default="all", choices=["wall", "first-model", "size", "all"])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    benches = {"wall": bench_wall, "first-model": bench_first_model, "size": bench_size}
    chosen = benches if args.which == "all" else {args.which: benches[args.which]}
    results = []
    for bench in chosen.values():
        for result in bench(args.repeats):
            results.append(result)
            print(json.dumps(result), flush=True)
    out = REPO / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "dbt_runner.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
