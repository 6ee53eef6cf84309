"""State-aware runs' pure parts: the selection dbt gets, what the summary says, and the job's
pointers to its last successful run (written on a file:// store)."""

from __future__ import annotations

import json
from pathlib import Path

from dbt_runner.artifacts import FileStore
from dbt_runner.config import RunnerConfig
from dbt_runner.layout import compact_time, last_success_key, success_key
from dbt_runner.lifecycle import store_success_pointers
from dbt_runner.outcome import EXIT_DBT_FAILED, RunState
from dbt_runner.run_spec import STATE_AWARE_WARN_ERROR, dbt_command_args, parse_run_spec
from dbt_runner.state_aware import (
    Comparison,
    changed_selection,
    fresher_sources,
    models_built,
    no_earlier_success,
    pointer_folder,
)


def test_without_a_select_the_run_selects_what_changed_and_what_reads_newer_data() -> None:
    assert changed_selection(None, with_fresher=True) == ["state:modified+", "source_status:fresher+"]


def test_each_select_word_is_intersected_with_each_state_criterion() -> None:
    assert changed_selection(["+orders", "tag:daily,path:marts"], with_fresher=True) == [
        "+orders,state:modified+",
        "+orders,source_status:fresher+",
        "tag:daily,path:marts,state:modified+",
        "tag:daily,path:marts,source_status:fresher+",
    ]


def test_argv_of_a_state_aware_run_replaces_the_select_and_keeps_the_exclude() -> None:
    spec = parse_run_spec({"only": "changed", "select": "+orders", "exclude": "resource_type:seed"})
    args = dbt_command_args(spec, state_select=changed_selection(["+orders"], with_fresher=True))
    assert args == [
        "build",
        "--select",
        "+orders,state:modified+",
        "+orders,source_status:fresher+",
        "--exclude",
        "resource_type:seed",
    ]


def test_warn_error_of_a_state_aware_run_keeps_nothing_changed_a_warning() -> None:
    spec = parse_run_spec({"only": "changed", "warnError": True})
    args = dbt_command_args(spec, state_select=changed_selection(None, with_fresher=True))
    assert "--warn-error" not in args
    assert args[args.index("--warn-error-options") + 1] == STATE_AWARE_WARN_ERROR
    assert json.loads(STATE_AWARE_WARN_ERROR) == {
        "error": "all",
        "warn": ["NoNodesForSelectionCriteria", "NothingToDo"],
    }
    # Building everything (nothing to compare with), warnings are errors as usual.
    assert "--warn-error" in dbt_command_args(spec)


def sources_json(**loaded: str) -> bytes:
    results = [{"unique_id": uid, "max_loaded_at": at, "status": "pass"} for uid, at in loaded.items()]
    return json.dumps({"results": results}).encode()


def test_fresher_sources_are_those_loaded_since_or_not_checked_before() -> None:
    previous = sources_json(orders="2026-12-01T05:00:00+00:00", customers="2026-12-01T05:00:00+00:00")
    current = sources_json(
        orders="2026-12-01T06:00:00+00:00", customers="2026-12-01T05:00:00+00:00", items="2026-12-01T01:00:00"
    )
    assert fresher_sources(previous, current) == ("items", "orders")
    assert fresher_sources(b"not json", sources_json()) == ()


def test_summary_says_how_many_models_changed_since_which_run_and_how_many_were_deferred() -> None:
    comparison = Comparison("nightly", compared_with="run-41", fresher_sources=("source.shop.raw.orders",))
    assert comparison.to_json(15, 2) == {
        "comparedWith": "run-41",
        "models": 15,
        "built": 2,
        "deferred": 13,
        "fresherSources": ["source.shop.raw.orders"],
        "reason": "2 of 15 models changed or read newer source data since run run-41; 13 deferred",
    }
    assert Comparison("nightly", compared_with="run-41").to_json(15, 0)["reason"] == (
        "nothing changed since run run-41: no model built, 15 deferred"
    )


def test_summary_of_a_run_with_nothing_to_compare_with_says_it_built_everything() -> None:
    assert no_earlier_success("nightly").to_json(15, 15) == {
        "comparedWith": None,
        "models": 15,
        "built": 15,
        "deferred": 0,
        "reason": "no earlier successful run of job nightly to compare with: built everything",
    }


def test_models_built_counts_only_models() -> None:
    results = {"results": [{"unique_id": "model.shop.orders"}, {"unique_id": "test.shop.x"}]}
    assert models_built(results) == 1
    assert models_built(None) == 0


def test_a_pointer_that_names_no_folder_is_not_followed() -> None:
    assert pointer_folder(b'{"runId": "r1", "folder": "runs/r1/attempt-2/"}') == ("r1", "runs/r1/attempt-2")
    assert pointer_folder(b'{"runId": "r1"}') is None
    assert pointer_folder(b'{"runId": "r1", "folder": "../elsewhere/"}') is None
    assert pointer_folder(b"[]") is None
    assert pointer_folder(b"{") is None


def test_success_names_sort_as_their_times_do() -> None:
    assert compact_time("2026-12-01T22:15:08Z") == "20261201T221508Z"
    key = success_key("nightly", "2026-12-01T22:15:08Z", "r1")
    assert key == "jobs/nightly/successes/20261201T221508Z-r1.json"


def config(run_id: str, attempt: int) -> RunnerConfig:
    return RunnerConfig(
        run_id=run_id,
        raw_spec="{}",
        artifacts_uri="file:///unused",
        project_dir=Path("/unused"),
        profiles_dir=Path("/unused"),
        target=None,
        credentials_source="env",
        attempt=attempt,
    )


def test_a_successful_build_points_its_job_at_its_attempts_folder(tmp_path: Path) -> None:
    store = FileStore(tmp_path.as_uri(), tmp_path)
    state = RunState(config=config("r7", 2), spec=parse_run_spec({"job": "nightly"}))

    store_success_pointers(state, store, {"finishedAt": "2026-12-01T22:15:08Z"})

    expected = {
        "runId": "r7",
        "attempt": 2,
        "folder": "runs/r7/attempt-2/",
        "finishedAt": "2026-12-01T22:15:08Z",
        "command": "build",
    }
    assert json.loads(store.get(last_success_key("nightly")) or b"") == expected
    history = store.get("jobs/nightly/successes/20261201T221508Z-r7.json")
    assert json.loads(history or b"") == expected


def test_a_failed_run_or_one_that_built_nothing_leaves_the_pointers_alone(tmp_path: Path) -> None:
    store = FileStore(tmp_path.as_uri(), tmp_path)
    nightly = parse_run_spec({"job": "nightly"})
    failed = RunState(config=config("r8", 1), spec=nightly, exit_code=EXIT_DBT_FAILED)
    listed = RunState(config=config("r9", 1), spec=parse_run_spec({"job": "nightly", "command": "ls"}))

    for state in (failed, listed):
        store_success_pointers(state, store, {"finishedAt": "2026-12-01T22:15:08Z"})

    assert not (tmp_path / "jobs").exists()
