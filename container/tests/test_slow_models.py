"""A model is flagged slow when it took more than twice its median over the job's last
successful runs and at least 30 s longer; the history is read through the job's success
pointers (docs/design.md, "Artifacts"), and an absent or broken history flags nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from dbt_runner.artifacts import ArtifactsError, FileStore
from dbt_runner.config import ConfigError, read_config
from dbt_runner.slow_history import HistoryUnreadable, earlier_model_seconds, find_slow_models
from dbt_runner.slow_models import (
    DEFAULT_RUNS_COMPARED,
    MIN_EXTRA_SECONDS,
    model_seconds,
    slow_models,
)

ORDERS = "model.shop.orders"
CUSTOMERS = "model.shop.customers"


def results(times: dict[str, float], status: str = "success") -> dict[str, Any]:
    return {
        "results": [
            {"unique_id": unique_id, "status": status, "execution_time": seconds}
            for unique_id, seconds in times.items()
        ]
    }


def test_a_model_more_than_twice_its_median_and_30_s_longer_is_flagged() -> None:
    history = [{ORDERS: 65.0}, {ORDERS: 60.0}, {ORDERS: 70.0}, {ORDERS: 300.0}]

    flagged = slow_models({ORDERS: 252.0}, history)

    assert flagged == [{"uniqueId": ORDERS, "seconds": 252.0, "medianSeconds": 67.5, "runsCompared": 4}]


def test_twice_the_median_but_less_than_30_s_longer_is_not_flagged() -> None:
    history = [{ORDERS: 10.0}, {ORDERS: 10.0}, {ORDERS: 10.0}]

    assert slow_models({ORDERS: 39.9}, history) == []
    assert slow_models({ORDERS: 40.0}, history) == [
        {"uniqueId": ORDERS, "seconds": 40.0, "medianSeconds": 10.0, "runsCompared": 3}
    ]


def test_30_s_longer_but_not_twice_the_median_is_not_flagged() -> None:
    history = [{ORDERS: 600.0}, {ORDERS: 600.0}, {ORDERS: 600.0}]

    assert slow_models({ORDERS: 1200.0}, history) == []
    assert [model["uniqueId"] for model in slow_models({ORDERS: 1200.5}, history)] == [ORDERS]


def test_fewer_than_three_earlier_runs_flag_nothing() -> None:
    assert slow_models({ORDERS: 500.0}, [{ORDERS: 1.0}, {ORDERS: 1.0}]) == []
    assert slow_models({ORDERS: 500.0}, [{ORDERS: 1.0}, {ORDERS: 1.0}, {ORDERS: 1.0}]) != []


def test_a_model_new_to_the_job_is_not_flagged() -> None:
    history = [{ORDERS: 1.0}] * 5

    assert slow_models({CUSTOMERS: 500.0}, history) == []


def test_the_median_resists_one_odd_run() -> None:
    # The mean of these is 205 s: 250 s would not be twice it; the median is 10 s.
    history = [{ORDERS: 10.0}, {ORDERS: 10.0}, {ORDERS: 800.0}, {ORDERS: 10.0}]

    assert [model["medianSeconds"] for model in slow_models({ORDERS: 250.0}, history)] == [10.0]


def test_slowest_beyond_usual_comes_first() -> None:
    history = [{ORDERS: 10.0, CUSTOMERS: 10.0}] * 3

    flagged = slow_models({ORDERS: 100.0, CUSTOMERS: 400.0}, history)

    assert [model["uniqueId"] for model in flagged] == [CUSTOMERS, ORDERS]


def test_the_extra_seconds_threshold_can_be_set() -> None:
    history = [{ORDERS: 1.0}] * 3

    assert slow_models({ORDERS: 5.0}, history) == []
    assert slow_models({ORDERS: 5.0}, history, min_extra_seconds=2) != []


def test_only_models_that_succeeded_count() -> None:
    run_results = {
        "results": [
            {"unique_id": ORDERS, "status": "success", "execution_time": 12.5},
            {"unique_id": CUSTOMERS, "status": "error", "execution_time": 300.0},
            {"unique_id": "test.shop.unique_orders_id", "status": "pass", "execution_time": 50.0},
            {"unique_id": "seed.shop.raw_orders", "status": "success", "execution_time": 50.0},
            {"unique_id": "model.shop.broken", "status": "success", "execution_time": "soon"},
        ]
    }

    assert model_seconds(run_results) == {ORDERS: 12.5}
    assert model_seconds(None) == {}


# --- the job's history, through the success pointers -----------------------------------------


class History:
    """A file:// artifact store holding a job's earlier successful runs as 13-F's pointers
    lay them out: jobs/<job>/successes/<finishedAt compact>-<runId>.json → runs/<id>/attempt-<N>/."""

    def __init__(self, root: Path, job: str = "nightly") -> None:
        self.store = FileStore(root.as_uri(), root)
        self.job = job

    def add(self, run_id: str, finished: str, times: dict[str, float] | None, attempt: int = 1) -> None:
        folder = f"runs/{run_id}/attempt-{attempt}/"
        if times is not None:
            self.store.put(f"{folder}run_results.json", json.dumps(results(times)).encode())
        pointer = {
            "runId": run_id,
            "attempt": attempt,
            "folder": folder,
            "finishedAt": finished,
            "command": "build",
        }
        compact = finished.replace("-", "").replace(":", "").split(".")[0] + "Z"
        self.store.put(f"jobs/{self.job}/successes/{compact}-{run_id}.json", json.dumps(pointer).encode())


def test_no_history_yet_flags_nothing(tmp_path: Path) -> None:
    history = History(tmp_path)

    assert earlier_model_seconds(history.store, "nightly", "now", 10) == []
    assert find_slow_models(history.store, "nightly", "now", results({ORDERS: 900.0}), 10, 30) == []


def test_the_newest_runs_are_read_up_to_the_limit_skipping_this_run(tmp_path: Path) -> None:
    history = History(tmp_path)
    for day in range(1, 6):
        history.add(f"run-{day}", f"2026-11-0{day}T05:00:00Z", {ORDERS: float(day)})
    history.add("this-run", "2026-11-09T05:00:00Z", {ORDERS: 999.0})

    seen = earlier_model_seconds(history.store, "nightly", "this-run", 3)

    assert seen == [{ORDERS: 5.0}, {ORDERS: 4.0}, {ORDERS: 3.0}]


def test_a_pointer_whose_run_results_are_gone_is_passed_over(tmp_path: Path) -> None:
    history = History(tmp_path)
    history.add("run-1", "2026-11-01T05:00:00Z", {ORDERS: 1.0})
    history.add("run-2", "2026-11-02T05:00:00Z", None)
    history.store.put("jobs/nightly/successes/20261103T050000Z-bad.json", b"not json")

    assert earlier_model_seconds(history.store, "nightly", "now", 10) == [{ORDERS: 1.0}]


def test_other_jobs_history_is_not_compared(tmp_path: Path) -> None:
    other = History(tmp_path, job="hourly")
    for day in range(1, 4):
        other.add(f"run-{day}", f"2026-11-0{day}T05:00:00Z", {ORDERS: 1.0})

    assert find_slow_models(other.store, "nightly", "now", results({ORDERS: 900.0}), 10, 30) == []
    assert find_slow_models(other.store, "hourly", "now", results({ORDERS: 900.0}), 10, 30) != []


def test_a_history_that_cannot_be_read_is_said_so(tmp_path: Path) -> None:
    class Refusing(FileStore):
        def list_names(self, prefix: str) -> list[str]:
            raise ArtifactsError(f"cannot list {self.url(prefix)}/: Permission denied")

    store = Refusing(tmp_path.as_uri(), tmp_path)

    with pytest.raises(HistoryUnreadable, match="Permission denied"):
        find_slow_models(store, "nightly", "now", results({ORDERS: 900.0}), 10, 30)


# --- the settings -------------------------------------------------------------------------------

BASE = {"RUN_ID": "r1", "ARTIFACTS_URI": "file:///tmp/x"}


def test_the_settings_default_to_ten_runs_and_30_seconds() -> None:
    config = read_config(BASE)

    assert (config.slow_models_runs, config.slow_models_min_extra_seconds) == (10, 30.0)
    assert (DEFAULT_RUNS_COMPARED, MIN_EXTRA_SECONDS) == (10, 30.0)


def test_the_settings_are_read_from_the_environment() -> None:
    config = read_config({**BASE, "SLOW_MODELS_RUNS": "0", "SLOW_MODELS_MIN_EXTRA_SECONDS": "2.5"})

    assert (config.slow_models_runs, config.slow_models_min_extra_seconds) == (0, 2.5)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SLOW_MODELS_RUNS", "-1"),
        ("SLOW_MODELS_RUNS", "51"),
        ("SLOW_MODELS_RUNS", "ten"),
        ("SLOW_MODELS_MIN_EXTRA_SECONDS", "-5"),
        ("SLOW_MODELS_MIN_EXTRA_SECONDS", "1e3"),
    ],
)
def test_a_bad_setting_is_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"^{name}: "):
        read_config({**BASE, name: value})


def test_pointers_to_expired_runs_are_tried_only_a_few_times_over(tmp_path: Path) -> None:
    history = History(tmp_path)
    history.add("kept", "2026-10-01T05:00:00Z", {ORDERS: 1.0})
    for day in range(1, 10):
        history.add(f"expired-{day}", f"2026-11-0{day}T05:00:00Z", None)

    # Three pointers tried per run wanted: 12 reach the kept run behind nine expired ones, 9 do not.
    assert earlier_model_seconds(history.store, "nightly", "now", 4) == [{ORDERS: 1.0}]
    assert earlier_model_seconds(history.store, "nightly", "now", 3) == []
