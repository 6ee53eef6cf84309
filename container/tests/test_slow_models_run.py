"""Slow models through the entrypoint on real dbt with DuckDB: the job's earlier successful
runs are fabricated in the artifact store (success pointers and run_results.json, as the
layout contract writes them) and one real build is compared with them. The sample project's
models take well under a second, so the fabricated history is faster still and the 30 s
threshold is set to 0 (SLOW_MODELS_MIN_EXTRA_SECONDS); the real threshold is the pure rule's
(test_slow_models.py)."""

from __future__ import annotations

import json

import pytest
from conftest import Moto, Project
from dbt_runner.artifacts import FileStore, S3Store

pytestmark = pytest.mark.integration

FAST = 0.000_001
SLOW_IN_HISTORY = 3600.0


def add_success(store: FileStore | S3Store, job: str, run_id: str, day: int, times: dict[str, float]) -> None:
    folder = f"runs/{run_id}/attempt-1/"
    results = {
        "results": [
            {"unique_id": unique_id, "status": "success", "execution_time": seconds}
            for unique_id, seconds in times.items()
        ]
    }
    store.put(f"{folder}run_results.json", json.dumps(results).encode())
    finished = f"2026-11-{day:02d}T05:00:00Z"
    pointer = {"runId": run_id, "attempt": 1, "folder": folder, "finishedAt": finished, "command": "build"}
    store.put(f"jobs/{job}/successes/202611{day:02d}T050000Z-{run_id}.json", json.dumps(pointer).encode())


def test_a_build_flags_the_models_slower_than_in_the_jobs_history(project: Project) -> None:
    store = FileStore(project.artifacts_uri, project.artifacts_dir)
    for day in (1, 2, 3):
        add_success(
            store,
            "nightly",
            f"earlier-{day}",
            day,
            {
                "model.shop.orders": FAST,
                "model.shop.stg_orders": FAST,
                "model.shop.customers": SLOW_IN_HISTORY,
            },
        )
    # Two runs only of stg_customers: too few to judge.
    for day in (4, 5):
        add_success(store, "nightly", f"later-{day}", day, {"model.shop.stg_customers": FAST})
    # Another job's history is not this job's.
    for day in (1, 2, 3):
        add_success(store, "hourly", f"other-{day}", day, {"model.shop.stg_products": FAST})

    result = project.run("slow-run", {"job": "nightly"}, SLOW_MODELS_MIN_EXTRA_SECONDS="0")

    assert result.exit_code == 0, result.output
    slow = project.summary("slow-run")["slowModels"]
    assert sorted(model["uniqueId"] for model in slow) == ["model.shop.orders", "model.shop.stg_orders"]
    run_results = project.artifact("slow-run", "run_results.json")
    took = {item["unique_id"]: item["execution_time"] for item in run_results["results"]}
    for model in slow:
        assert model["seconds"] == round(took[model["uniqueId"]], 3)
        assert model["medianSeconds"] == round(FAST, 3)
        assert model["runsCompared"] == 3


def test_s3_lists_the_successes_of_a_job_in_order(moto: Moto, bucket: str) -> None:
    store = S3Store(f"s3://{bucket}/team-a", bucket, "team-a", client=moto.client("s3"))
    for day in (3, 1, 2):
        add_success(store, "nightly", f"run-{day}", day, {"model.shop.orders": 1.0})
    store.put("jobs/nightly/successes/deeper/not-a-pointer.json", b"{}")

    assert store.list_names("jobs/nightly/successes") == [
        "20261101T050000Z-run-1.json",
        "20261102T050000Z-run-2.json",
        "20261103T050000Z-run-3.json",
    ]
    assert store.list_names("jobs/nobody/successes") == []
