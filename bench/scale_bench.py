"""Scale benchmark (issue 13, section 8): a generated project of MODELS models (and two tests
each) through the entrypoint against the seed post's six dbt calls, side by side in one run.

  .venv/bin/python bench/scale_bench.py [--models 2000] [--repeats 1] [--first-model-repeats 3]

wall          the entrypoint's default run (deps check, parse, source freshness, build, docs
              generate) from the baked partial parse, as a task of the image starts, vs the
              seed post's six `dbt` CLI calls (deps, debug, run, test, source freshness, docs
              generate) in a fresh container: no target/ folder, so its first parse is cold.
              Goal <= 0.5x.
first model   seconds from the entrypoint's start to dbt's first model start, with the partial
              parse baked (`dbt parse` with the run's target and env, as
              container/bake-project.sh does) vs a cold parse. Goal <= 0.3x. Also measured: a
              run whose vars differ from the bake's, which dbt must parse in full.
peak memory   the largest resident set of the entrypoint's process (dbt runs inside it) and of
              any one of the six calls. Goal: <= 75 % of the default task's 2 GB (1536 MiB).

Runs interleaved, medians taken; each figure is a ratio against its baseline from this same
command, so the machine's noise hits both sides alike. Results: bench/out/scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_project import generate_project

REPO = Path(__file__).resolve().parents[1]
PYTHON = Path(sys.executable)
DBT = PYTHON.parent / "dbt"
ENTRYPOINT = REPO / "container" / "entrypoint.py"
TASK_MEMORY_MIB = 2048
MEMORY_GOAL_MIB = TASK_MEMORY_MIB * 0.75
FIRST_MODEL_MARK = " START sql "
SEED_POST_STEPS = [["deps"], ["debug"], ["run"], ["test"], ["source", "freshness"], ["docs", "generate"]]


@dataclass
class Measured:
    seconds: float
    peak_rss_mib: float
    steps: dict[str, float] = field(default_factory=dict)


def base_env(warehouse: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "RUN_", "ARTIFACTS_", "ENV"))}
    env.update(DBT_SEND_ANONYMOUS_USAGE_STATS="false", DO_NOT_TRACK="1", DBT_DUCKDB_PATH=str(warehouse))
    return env


def entrypoint_env(project: Path, warehouse: Path, run_id: str, spec: dict) -> dict[str, str]:
    return {
        **base_env(warehouse),
        "RUN_ID": run_id,
        "RUN_SPEC": json.dumps(spec),
        "ARTIFACTS_URI": (project.parent / "artifacts").as_uri(),
        "DBT_PROJECT_DIR": str(project),
    }


def run_measured(
    argv: list[str], env: dict[str, str], cwd: Path, stop_at: Callable[[str], bool] | None = None
) -> tuple[float, float, list[str], bool]:
    """Runs `argv` to its end, or kills it at the first output line `stop_at` accepts.
    Returns seconds (to the end or to that line), the process's peak resident set in MiB (its
    own or a waited-for child's, from wait4), its output lines, and whether it stopped there."""
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    lines: list[str] = []
    stopped_at = None
    for line in process.stdout:
        lines.append(line)
        if stop_at is not None and stopped_at is None and stop_at(line):
            stopped_at = time.perf_counter() - started
            process.send_signal(signal.SIGKILL)
    process.stdout.close()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = stopped_at if stopped_at is not None else time.perf_counter() - started
    if stopped_at is None and process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} exited {process.returncode}: {''.join(lines[-40:])}")
    return elapsed, usage.ru_maxrss / 1024, lines, stopped_at is not None


def dbt_cli(step: list[str], project: Path, warehouse: Path, *extra: str) -> tuple[float, float]:
    seconds, rss, _, _ = run_measured(
        [str(DBT), *step, "--project-dir", str(project), "--profiles-dir", str(project), *extra],
        base_env(warehouse),
        project,
    )
    return seconds, rss


def seed_warehouse(project: Path, warehouse: Path) -> None:
    """Raw data landed and snapshots taken, as production has them: the seed post's sequence
    runs no seeds and no snapshots, and the tests read them."""
    dbt_cli(
        ["build", "--select", "resource_type:seed", "+resource_type:snapshot"], project, warehouse, "--quiet"
    )


def bake(project: Path, warehouse: Path) -> None:
    """container/bake-project.sh's parse, with the run's target and env."""
    dbt_cli(["parse"], project, warehouse, "--quiet")


def seed_post_sequence(project: Path, warehouse: Path) -> Measured:
    """The seed post's container: one `dbt` process per step, in a fresh container's folder."""
    shutil.rmtree(project / "target", ignore_errors=True)
    measured = Measured(0.0, 0.0)
    for step in SEED_POST_STEPS:
        seconds, rss = dbt_cli(step, project, warehouse)
        measured.seconds += seconds
        measured.peak_rss_mib = max(measured.peak_rss_mib, rss)
        measured.steps[" ".join(step)] = round(seconds, 2)
    return measured


def entrypoint_run(project: Path, warehouse: Path, run_id: str) -> Measured:
    bake(project, warehouse)
    seconds, rss, lines, _ = run_measured(
        [str(PYTHON), str(ENTRYPOINT)], entrypoint_env(project, warehouse, run_id, {}), project
    )
    measured = Measured(seconds, rss)
    for line in lines:
        if line.startswith("{") and '"event": "step"' in line:
            record = json.loads(line)
            measured.steps[record["step"]] = record["seconds"]
    return measured


def seconds_to_first_model(project: Path, warehouse: Path, run_id: str, spec: dict) -> float:
    seconds, _, lines, stopped = run_measured(
        [str(PYTHON), str(ENTRYPOINT)],
        entrypoint_env(project, warehouse, run_id, spec),
        project,
        stop_at=lambda line: FIRST_MODEL_MARK in line,
    )
    if not stopped:
        raise RuntimeError(f"no model started: {''.join(lines[-40:])}")
    return seconds


def interleaved(repeats: int, candidates: dict[str, Callable[[int], object]]) -> dict[str, list]:
    results: dict[str, list] = {name: [] for name in candidates}
    for round_number in range(repeats):
        for name, measure in candidates.items():
            results[name].append(measure(round_number))
            print(f"  {name} #{round_number + 1}: {results[name][-1]}", file=sys.stderr, flush=True)
    return results


def bench_wall_and_memory(project: Path, warehouse: Path, models: int, repeats: int) -> list[dict]:
    runs = interleaved(
        repeats,
        {
            "seed post": lambda _n: seed_post_sequence(project, warehouse),
            "entrypoint": lambda n: entrypoint_run(project, warehouse, f"scale-{n}"),
        },
    )
    baseline = statistics.median(run.seconds for run in runs["seed post"])
    ours = statistics.median(run.seconds for run in runs["entrypoint"])
    peak_ours = max(run.peak_rss_mib for run in runs["entrypoint"])
    peak_baseline = max(run.peak_rss_mib for run in runs["seed post"])
    return [
        {
            "benchmark": f"wall time, entrypoint (baked parse) vs six dbt CLI calls, {models} models",
            "baseline_s": round(baseline, 2),
            "ours_s": round(ours, 2),
            "ratio": round(ours / baseline, 3),
            "goal": "<= 0.5",
            "runs": repeats,
            "baseline_steps_s": runs["seed post"][-1].steps,
            "ours_steps_s": runs["entrypoint"][-1].steps,
        },
        {
            "benchmark": f"peak resident memory, {models} models",
            "baseline_mib": round(peak_baseline),
            "ours_mib": round(peak_ours),
            "share_of_2gb_task": round(peak_ours / TASK_MEMORY_MIB, 3),
            "goal": f"<= {MEMORY_GOAL_MIB:.0f} MiB (75 % of {TASK_MEMORY_MIB} MiB)",
            "met": peak_ours <= MEMORY_GOAL_MIB,
            "runs": repeats,
        },
    ]


def bench_first_model(project: Path, warehouse: Path, models: int, repeats: int) -> list[dict]:
    spec = {"command": "run", "freshness": "skip", "docs": False}
    partial_parse = project / "target" / "partial_parse.msgpack"

    def cold(n: int) -> float:
        partial_parse.unlink(missing_ok=True)
        return seconds_to_first_model(project, warehouse, f"cold-{n}", spec)

    def baked(n: int) -> float:
        bake(project, warehouse)
        return seconds_to_first_model(project, warehouse, f"baked-{n}", spec)

    def baked_other_vars(n: int) -> float:
        bake(project, warehouse)
        return seconds_to_first_model(
            project, warehouse, f"vars-{n}", {**spec, "vars": {"run_date": f"2026-12-{n + 1:02d}"}}
        )

    timings = interleaved(
        repeats, {"cold parse": cold, "baked partial parse": baked, "baked, other vars": baked_other_vars}
    )
    cold_s = statistics.median(timings["cold parse"])
    baked_s = statistics.median(timings["baked partial parse"])
    vars_s = statistics.median(timings["baked, other vars"])
    return [
        {
            "benchmark": f"time to first model, baked partial parse vs cold parse, {models} models",
            "baseline_s": round(cold_s, 2),
            "ours_s": round(baked_s, 2),
            "ratio": round(baked_s / cold_s, 3),
            "goal": "<= 0.3",
            "runs": repeats,
        },
        {
            "benchmark": f"time to first model, run vars differ from the bake's, {models} models",
            "baseline_s": round(cold_s, 2),
            "ours_s": round(vars_s, 2),
            "ratio": round(vars_s / cold_s, 3),
            "goal": "report",
            "runs": repeats,
        },
    ]


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=1, help="runs of each side of the wall time")
    parser.add_argument("--first-model-repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "scale.json")
    args = parser.parse_args(argv)
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        root = Path(tmp)
        project = generate_project(root / "project", args.models)
        warehouse = root / "warehouse.duckdb"
        seed_warehouse(project, warehouse)
        for bench in (bench_first_model, bench_wall_and_memory):
            repeats = args.first_model_repeats if bench is bench_first_model else args.repeats
            for result in bench(project, warehouse, args.models, repeats):
                results.append(result)
                print(json.dumps(result), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
