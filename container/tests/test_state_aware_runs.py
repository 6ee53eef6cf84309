"""State-aware runs (`only: changed`) measured on the sample project: real dbt on DuckDB through
the entrypoint, the artifacts in a file:// store, each run comparing with the job's last
successful run as the next scheduled run would."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import Moto, Project, RunResult, list_s3

pytestmark = pytest.mark.integration

# The sample's seeds stand in for the EL tool (dbt_project.yml): the scheduled job builds what
# the landed raw data feeds, and the EL tool's loads are runs of their own.
NIGHTLY = {"job": "nightly", "only": "changed", "exclude": "resource_type:seed", "docs": False}
PROJECT_MODELS = 6


def models_built(project: Project, run_id: str) -> list[str]:
    results = project.artifact(run_id, "run_results.json")["results"]
    return sorted(result["unique_id"] for result in results if result["unique_id"].startswith("model."))


def succeeded(result: RunResult) -> RunResult:
    assert result.exit_code == 0, result.output
    return result


def pointer(project: Project, job: str) -> dict[str, Any]:
    return json.loads((project.artifacts_dir / "jobs" / job / "last-success.json").read_text())


def test_first_run_builds_everything_and_says_there_was_nothing_to_compare_with(project: Project) -> None:
    succeeded(project.run("first", NIGHTLY))

    assert project.summary("first")["stateAware"] == {
        "comparedWith": None,
        "models": PROJECT_MODELS,
        "built": PROJECT_MODELS,
        "deferred": 0,
        "reason": "no earlier successful run of job nightly to compare with: built everything",
    }
    assert len(models_built(project, "first")) == PROJECT_MODELS
    record = pointer(project, "nightly")
    assert {key: record[key] for key in ("runId", "attempt", "folder", "command")} == {
        "runId": "first",
        "attempt": 1,
        "folder": "runs/first/attempt-1/",
        "command": "build",
    }
    [entry] = list((project.artifacts_dir / "jobs" / "nightly" / "successes").iterdir())
    assert entry.name.endswith("-first.json")
    assert json.loads(entry.read_text()) == record


def test_second_run_with_no_change_builds_no_model_and_succeeds(project: Project) -> None:
    succeeded(project.run("first", NIGHTLY))
    second = succeeded(project.run("second", NIGHTLY))

    assert models_built(project, "second") == []
    summary = project.summary("second")
    assert summary["exitCode"] == 0
    assert summary["stateAware"] == {
        "comparedWith": "first",
        "models": PROJECT_MODELS,
        "built": 0,
        "deferred": PROJECT_MODELS,
        "fresherSources": [],
        "reason": f"nothing changed since run first: no model built, {PROJECT_MODELS} deferred",
    }
    [event] = second.log_events("stateAware")
    assert event["comparedWith"] == "first"
    # The run that built nothing is the one the next run compares with.
    assert pointer(project, "nightly")["runId"] == "second"


def test_after_touching_one_model_only_it_and_its_children_are_built(project: Project) -> None:
    succeeded(project.run("first", NIGHTLY))
    orders = project.root / "models" / "marts" / "orders.sql"
    orders.write_text(orders.read_text() + "\n-- touched\n")

    succeeded(project.run("touched", NIGHTLY))

    assert models_built(project, "touched") == ["model.shop.customers", "model.shop.orders"]
    reason = project.summary("touched")["stateAware"]["reason"]
    assert reason == "2 of 6 models changed or read newer source data since run first; 4 deferred"


def test_new_data_in_a_source_builds_what_reads_it(project: Project) -> None:
    succeeded(project.run("first", NIGHTLY))
    # The EL tool lands new orders: a run of its own, as it is no part of the job.
    succeeded(project.run("load", {"job": "el", "command": "seed", "select": "raw_orders", "docs": False}))

    succeeded(project.run("after-load", NIGHTLY))

    assert models_built(project, "after-load") == [
        "model.shop.customers",
        "model.shop.orders",
        "model.shop.stg_orders",
    ]
    assert project.summary("after-load")["stateAware"]["fresherSources"] == ["source.shop.raw.orders"]


def test_a_selection_narrows_what_changed(project: Project) -> None:
    succeeded(project.run("first", NIGHTLY))
    for name in ("stg_customers", "stg_products"):
        model = project.root / "models" / "staging" / f"{name}.sql"
        model.write_text(model.read_text() + "\n-- touched\n")

    succeeded(project.run("narrowed", {**NIGHTLY, "select": "+customers"}))

    # stg_products changed too, but customers is not built from it.
    assert models_built(project, "narrowed") == ["model.shop.customers", "model.shop.stg_customers"]


def test_a_last_success_that_did_not_check_freshness_leaves_nothing_to_compare_sources_with(
    project: Project,
) -> None:
    without_only = {key: value for key, value in NIGHTLY.items() if key != "only"}
    succeeded(project.run("unchecked", {**without_only, "freshness": "skip"}))

    succeeded(project.run("next", NIGHTLY))

    assert len(models_built(project, "next")) == PROJECT_MODELS
    assert project.summary("next")["stateAware"]["reason"] == (
        "run unchecked of job nightly did not check its sources' freshness (no sources.json):"
        " built everything"
    )
    assert pointer(project, "nightly")["runId"] == "next"


def test_a_typo_in_the_select_of_a_state_aware_run_is_still_nothing_selected(project: Project) -> None:
    succeeded(project.run("first", NIGHTLY))

    typo = project.run("typo", {**NIGHTLY, "select": "ordrs"})

    assert typo.exit_code == 7, typo.output
    assert project.summary("typo")["error"] == (
        "build: the selection matched no node (--select ordrs --exclude resource_type:seed);"
        " no enabled node matches 'ordrs'"
    )


def test_on_s3_the_next_run_compares_with_the_pointer_the_last_one_left(
    project: Project, moto: Moto, bucket: str
) -> None:
    on_s3 = {"ARTIFACTS_URI": f"s3://{bucket}/dbt", **moto.env()}
    succeeded(project.run("first", NIGHTLY, **on_s3))

    pointers = list_s3(moto, bucket, "dbt/jobs/nightly/")
    assert json.loads(pointers["dbt/jobs/nightly/last-success.json"])["folder"] == "runs/first/attempt-1/"
    [history] = [key for key in pointers if key.startswith("dbt/jobs/nightly/successes/")]
    assert history.endswith("-first.json")

    succeeded(project.run("second", NIGHTLY, **on_s3))

    summary = json.loads(list_s3(moto, bucket, "dbt/runs/second/attempt-1/summary.json").popitem()[1])
    assert summary["stateAware"]["comparedWith"] == "first"
    assert summary["stateAware"]["built"] == 0
