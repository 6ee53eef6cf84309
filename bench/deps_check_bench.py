"""What a run spends on its deps step: the check that lets it skip `dbt deps`
(container/dbt_runner/packages.py) against `dbt deps` itself through dbtRunner, as every run
called it before, on the sample project (no packages) and on the fixture project with a
local package. Each is timed twice: as the first dbt call of a fresh process after dbt is
imported (where a run makes it; a run imports dbt anyway), and repeated within one process.
Runs interleaved, medians taken; neither project needs the network.

    .venv/bin/python bench/deps_check_bench.py [--repeats 9]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "container"))

from dbt.cli.main import dbtRunner  # noqa: E402 - after the path is set
from dbt_runner.packages import check_packages  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures" / "projects"
IGNORE = shutil.ignore_patterns("target", "logs", "dbt_packages", "*.duckdb")


def deps(project: Path, logs: Path) -> Callable[[], None]:
    args = ["deps", "--project-dir", str(project), "--log-path", str(logs), "--no-send-anonymous-usage-stats"]
    args += ["--log-level", "none"]

    def run() -> None:
        result = dbtRunner().invoke(args)
        assert result.success, result.exception

    return run


def check(project: Path) -> Callable[[], None]:
    def run() -> None:
        result = check_packages(project, {})
        assert not result.needed, result.reason

    return run


def seconds(action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def first_call_seconds(what: str, project: Path, logs: Path) -> float:
    """The first dbt call of a fresh process, timed in that process after its imports."""
    completed = subprocess.run(
        [sys.executable, __file__, "--once", what, str(project), str(logs)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(completed.stdout)


def once(what: str, project: Path, logs: Path) -> None:
    action = check(project) if what == "check" else deps(project, logs)
    print(seconds(action))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--once", nargs=3, metavar=("WHAT", "PROJECT", "LOGS"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.once:
        once(options.once[0], Path(options.once[1]), Path(options.once[2]))
        return
    repeats = options.repeats
    with tempfile.TemporaryDirectory(prefix="deps-bench-") as work_dir:
        work = Path(work_dir)
        sample = work / "sample"
        shutil.copytree(REPO / "dbt", sample, ignore=IGNORE)
        for name in ("packaged_shop", "shop_helpers"):
            shutil.copytree(FIXTURES / name, work / name, ignore=IGNORE)
        packaged = work / "packaged_shop"
        deps(packaged, work / "logs")()  # installed once, as the image build does
        logs = work / "logs"
        print(f"{'project':<16} {'timed as':<20} {'check':>9} {'dbt deps':>9} {'ratio':>6}")
        for label, project in (("sample", sample), ("packaged_shop", packaged)):
            # dbt deps on the installed project reinstalls it, which leaves it installed.
            timings: dict[str, dict[str, list[float]]] = {"first call": {}, "repeated": {}}
            for _ in range(repeats):
                for what in ("deps", "check"):
                    timings["first call"].setdefault(what, []).append(first_call_seconds(what, project, logs))
                    action = check(project) if what == "check" else deps(project, logs)
                    timings["repeated"].setdefault(what, []).append(seconds(action))
            for timed_as, by_what in timings.items():
                check_s, deps_s = statistics.median(by_what["check"]), statistics.median(by_what["deps"])
                print(
                    f"{label:<16} {timed_as:<20} {check_s * 1000:>7.1f}ms {deps_s * 1000:>7.1f}ms"
                    f" {check_s / deps_s:>6.2f}"
                )


if __name__ == "__main__":
    main()
