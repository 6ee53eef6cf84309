"""Where a run's artifacts go (docs/design.md, "Artifacts"): each attempt in its own folder,
the run's last-attempt.json naming the last one, and latest/ replaced only by a run that
succeeded with its docs. On a folder and on S3 (a moto server)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import Moto
from dbt_runner.artifacts import ArtifactsError, ArtifactStore, FileStore, S3Store, open_store
from dbt_runner.config import ConfigError, RunnerConfig, read_config
from dbt_runner.dbt_steps import earlier_run_folder
from dbt_runner.lifecycle import LATEST_FILES, store_artifacts
from dbt_runner.outcome import EXIT_ARTIFACTS, EXIT_DBT_FAILED, EXIT_SUCCESS, Failure, RunState
from dbt_runner.redaction import Redactor

ALL_FILES = ("manifest.json", "run_results.json", "sources.json", "catalog.json", "index.html", "dbt.log")


@pytest.fixture(params=["file", pytest.param("s3", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactStore:
    if request.param == "file":
        return open_store((tmp_path / "store").as_uri())
    moto: Moto = request.getfixturevalue("moto")
    bucket: str = request.getfixturevalue("bucket")
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", request.node.name)  # a folder of the test's own
    return S3Store(f"s3://{bucket}/{prefix}", bucket, f"/{prefix}", client=moto.client("s3"))


def finished_run(
    run_id: str, *, attempt: int = 1, exit_code: int = EXIT_SUCCESS, docs: bool = True, tag: str = ""
) -> RunState:
    """A run's state as the steps leave it: every file, tagged with the run and attempt."""
    config = RunnerConfig(
        run_id=run_id, artifacts_uri="file:///unused", project_dir=Path("/p"), profiles_dir=Path("/p"),
        target=None, credentials_source="env", raw_spec="{}", attempt=attempt,
    )  # fmt: skip
    state = RunState(config=config)
    tag = tag or f"{run_id}#{attempt}"
    state.files = {name: f"{name} of {tag}".encode() for name in ALL_FILES}
    state.docs_generated = docs
    if exit_code != EXIT_SUCCESS:
        state.fail(Failure(exit_code, "build: dbt reported failures"))
    return state


def store_run(store: ArtifactStore, state: RunState) -> None:
    def summary() -> dict[str, Any]:
        assert state.config is not None
        return {"runId": state.config.run_id, "attempt": state.config.attempt, "exitCode": state.exit_code}

    store_artifacts(state, store, Redactor(), summary)


def latest_of(store: ArtifactStore) -> dict[str, bytes | None]:
    return {name: store.get(f"latest/{name}") for name in (*ALL_FILES, "summary.json")}


def test_a_successful_run_with_docs_puts_its_docs_artifacts_and_summary_in_latest(
    store: ArtifactStore,
) -> None:
    store_run(store, finished_run("good"))

    latest = latest_of(store)
    # The summary names the run the files came from, for a pull request's build compared with them.
    assert json.loads(latest.pop("summary.json") or b"null") == {"runId": "good", "attempt": 1, "exitCode": 0}
    assert latest == {**{name: f"{name} of good#1".encode() for name in LATEST_FILES}, "dbt.log": None}


def test_a_failed_run_leaves_latest_as_the_last_successful_run_left_it(store: ArtifactStore) -> None:
    store_run(store, finished_run("good"))
    before = latest_of(store)

    failed = finished_run("broken", exit_code=EXIT_DBT_FAILED, docs=True)
    store_run(store, failed)

    assert failed.exit_code == EXIT_DBT_FAILED
    assert latest_of(store) == before
    # The failed run's own docs are kept in its folder.
    assert store.get("runs/broken/attempt-1/index.html") == b"index.html of broken#1"


def test_a_successful_run_without_docs_leaves_latest_untouched(store: ArtifactStore) -> None:
    store_run(store, finished_run("good"))
    before = latest_of(store)

    store_run(store, finished_run("no-docs", docs=False))

    assert latest_of(store) == before


class RefusesRunFiles(FileStore):
    """A store that cannot write one file of the attempt's folder (a full disk, a denied key)."""

    def put(self, key: str, body: bytes) -> None:
        if key.endswith("/run_results.json"):
            raise ArtifactsError(f"cannot write {self.url(key)}: denied")
        super().put(key, body)


def test_a_run_whose_files_could_not_be_stored_leaves_latest_untouched(tmp_path: Path) -> None:
    store = RefusesRunFiles((tmp_path / "store").as_uri(), tmp_path / "store")
    store.replace_prefix("latest", {"index.html": b"the last good run's"})
    state = finished_run("half-stored")

    store_run(store, state)

    assert state.exit_code == EXIT_ARTIFACTS
    assert latest_of(store)["index.html"] == b"the last good run's"
    assert store.get("runs/half-stored/attempt-1/summary.json") is not None


def test_a_later_successful_run_replaces_latest_whole(store: ArtifactStore) -> None:
    store_run(store, finished_run("first"))
    second = finished_run("second")
    del second.files["sources.json"]  # freshness: skip writes none

    store_run(store, second)

    latest = latest_of(store)
    assert latest["manifest.json"] == b"manifest.json of second#1"
    assert latest["sources.json"] is None  # not the first run's, left behind
    assert json.loads(latest["summary.json"] or b"null")["runId"] == "second"


def test_each_attempt_stores_in_its_own_folder_and_the_run_names_its_last(store: ArtifactStore) -> None:
    store_run(store, finished_run("twice", attempt=1, exit_code=EXIT_DBT_FAILED))
    store_run(store, finished_run("twice", attempt=2))

    for attempt, exit_code in ((1, EXIT_DBT_FAILED), (2, EXIT_SUCCESS)):
        folder = f"runs/twice/attempt-{attempt}"
        assert store.get(f"{folder}/run_results.json") == f"run_results.json of twice#{attempt}".encode()
        summary = json.loads(store.get(f"{folder}/summary.json") or b"null")
        assert (summary["attempt"], summary["exitCode"]) == (attempt, exit_code)
    assert json.loads(store.get("runs/twice/last-attempt.json") or b"null") == {
        "runId": "twice",
        "attempt": 2,
        "folder": "attempt-2/",
    }
    # Nothing of either attempt at the run's own level but the pointer.
    assert store.get("runs/twice/summary.json") is None


def test_retry_reads_the_attempt_the_run_names_last(store: ArtifactStore) -> None:
    store_run(store, finished_run("retried", attempt=1))
    store_run(store, finished_run("retried", attempt=2))

    assert earlier_run_folder(store, "retried") == "runs/retried/attempt-2"


def test_retry_reads_the_run_folder_of_a_run_stored_before_attempt_folders(store: ArtifactStore) -> None:
    store.put("runs/older/run_results.json", b"{}")

    assert earlier_run_folder(store, "older") == "runs/older"


def test_retry_refuses_a_last_attempt_file_that_names_no_attempt(store: ArtifactStore) -> None:
    store.put("runs/odd/last-attempt.json", b'{"attempt": 0}')

    with pytest.raises(ConfigError, match=r"^retryOf: .*runs/odd/last-attempt\.json names no attempt"):
        earlier_run_folder(store, "odd")


BASE_ENV = {"RUN_ID": "r1", "ARTIFACTS_URI": "file:///tmp/artifacts"}


@pytest.mark.parametrize(("raw", "attempt"), [(None, 1), ("", 1), ("1", 1), ("2", 2), (" 3 ", 3)])
def test_the_attempt_comes_from_run_attempt_and_is_1_when_unset(raw: str | None, attempt: int) -> None:
    environ = BASE_ENV if raw is None else {**BASE_ENV, "RUN_ATTEMPT": raw}

    assert read_config(environ).attempt == attempt


@pytest.mark.parametrize("raw", ["0", "-1", "two", "1.5", "01"])
def test_a_run_attempt_that_is_not_a_whole_number_from_1_is_refused_naming_it(raw: str) -> None:
    with pytest.raises(ConfigError, match=r"^RUN_ATTEMPT: must be a whole number from 1 up"):
        read_config({**BASE_ENV, "RUN_ATTEMPT": raw})
