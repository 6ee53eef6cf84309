"""The run's own deadline: where it falls (deadline.py), how its start is read
(RUN_ATTEMPT_STARTED_AT, config.py), and the lifecycle stopping a busy step at it with exit 6
(lifecycle.py). No dbt run and no process: the busy step is a sleep in this one; the
entrypoint on real dbt is tests in test_entrypoint.py."""

from __future__ import annotations

import io
import json
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dbt_runner import lifecycle
from dbt_runner.artifacts import open_store
from dbt_runner.config import ConfigError, RunnerConfig, read_attempt_started_at
from dbt_runner.deadline import deadline_margin, run_deadline
from dbt_runner.lifecycle import Run
from dbt_runner.outcome import (
    EXIT_DEADLINE,
    DeadlinePassed,
    Failure,
    RunningNodes,
    RunState,
    StoppedAtDeadline,
    run_error_failure,
    stopped_by_watchdog,
)
from dbt_runner.redaction import Redactor
from dbt_runner.run_spec import parse_run_spec

STARTED = datetime(2026, 3, 2, 5, 0, 0, 123000, tzinfo=UTC)


def test_the_margin_leaves_the_stop_grace_the_store_and_ecs_stopping_the_task() -> None:
    # 20 s for dbt to cancel, 10 s to store the artifacts, 60 s for ECS to stop the task.
    assert deadline_margin(3600, 20.0) == 90.0
    assert deadline_margin(3600, 2.0) == 72.0


def test_a_short_limit_keeps_half_of_its_time_for_dbt() -> None:
    assert deadline_margin(60, 20.0) == 30.0
    assert deadline_margin(180, 20.0) == 90.0
    assert deadline_margin(179, 20.0) == 89.5


def test_the_deadline_is_the_attempts_start_plus_the_limit_less_the_margin() -> None:
    deadline = run_deadline(STARTED, 3600, 20.0)

    assert deadline.at == STARTED + timedelta(seconds=3510)
    assert deadline.limit_seconds == 3600
    assert deadline.seconds_left(STARTED + timedelta(seconds=3500)) == 10.0
    assert deadline.message == (
        "stopped at the run's deadline: its 3600 s limit less 90 s to stop dbt and store the artifacts"
    )


def test_the_attempts_start_is_read_as_step_functions_writes_it() -> None:
    assert read_attempt_started_at("2026-03-02T05:00:00.123Z") == STARTED
    assert read_attempt_started_at("2026-03-02T06:00:00.123+01:00") == STARTED


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_no_attempt_start_leaves_the_deadline_to_the_containers_own_start(raw: str | None) -> None:
    assert read_attempt_started_at(raw) is None


@pytest.mark.parametrize("raw", ["yesterday", "2026-03-02T05:00:00", "1772427600"])
def test_an_attempt_start_that_is_not_a_time_with_its_zone_is_exit_3_naming_it(raw: str) -> None:
    with pytest.raises(
        ConfigError, match=r"^RUN_ATTEMPT_STARTED_AT: expected an ISO-8601 time with its zone"
    ):
        read_attempt_started_at(raw)


def test_the_deadline_stopping_the_run_is_exit_6_in_or_between_steps() -> None:
    message = run_deadline(STARTED, 3600, 20.0).message

    assert run_error_failure(DeadlinePassed(message)) == Failure(EXIT_DEADLINE, message)
    assert run_error_failure(StoppedAtDeadline(message)) == Failure(EXIT_DEADLINE, message)
    assert stopped_by_watchdog(2.0, message) == Failure(
        EXIT_DEADLINE, f"{message}; dbt had not stopped 2 s later"
    )


def test_running_nodes_are_those_started_and_not_finished_as_they_were_when_the_run_stopped() -> None:
    running = RunningNodes()
    for unique_id in ("model.shop.a", "model.shop.b", "model.shop.c", "model.shop.d"):
        running.started(unique_id)
    running.finished("model.shop.b")

    running.freeze()
    # dbt reports the cancelled nodes finished once their queries are cancelled.
    running.finished("model.shop.a")
    running.started("model.shop.e")
    # A node whose runner raised has a result but no NodeFinished.
    run_results = {"results": [{"unique_id": "model.shop.d", "status": "error"}]}

    assert running.still_running(run_results) == ["model.shop.a", "model.shop.c"]


def busy_run(
    tmp_path: Path, attempt_started_at: datetime | None, stop_grace_seconds: float = 5.0
) -> tuple[Run, io.StringIO]:
    config = RunnerConfig(
        run_id="deadline-unit",
        artifacts_uri=(tmp_path / "artifacts").as_uri(),
        project_dir=tmp_path,
        profiles_dir=tmp_path,
        target=None,
        credentials_source="env",
        raw_spec="{}",
        attempt_started_at=attempt_started_at,
    )
    out = io.StringIO()
    run = Run(
        config,
        open_store(config.artifacts_uri),
        Redactor(),
        out,
        tmp_path,
        stop_grace_seconds=stop_grace_seconds,
    )
    return run, out


def summary_of(tmp_path: Path) -> dict:
    [path] = (tmp_path / "artifacts").rglob("summary.json")
    return json.loads(path.read_text())


def busy_steps(run: Run, limit: int, seconds: float):
    def steps(state: RunState) -> None:
        state.spec = parse_run_spec({"timeoutSeconds": limit})
        run.arm_deadline(limit)
        state.running_nodes.started("model.shop.orders")
        try:
            time.sleep(seconds)  # a step dbt is busy with
        except KeyboardInterrupt as error:
            state.fail(run_error_failure(error))

    return steps


def test_a_step_still_busy_at_the_deadline_is_stopped_with_exit_6_naming_its_nodes(tmp_path: Path) -> None:
    # A 60 s limit has a 30 s margin: its deadline is 30 s after the attempt started.
    run, out = busy_run(tmp_path, datetime.now(UTC) - timedelta(seconds=29.5))
    started = time.monotonic()

    exit_code = run.execute(busy_steps(run, 60, 20))

    assert exit_code == EXIT_DEADLINE
    assert time.monotonic() - started < 3
    summary = summary_of(tmp_path)
    assert summary["exitCode"] == EXIT_DEADLINE
    assert summary["error"].startswith("stopped at the run's deadline: its 60 s limit less 30 s")
    assert summary["runningNodes"] == ["model.shop.orders"]
    deadline = next(json.loads(line) for line in out.getvalue().splitlines() if '"deadline"' in line)
    assert deadline["limitSeconds"] == 60
    assert 0 < deadline["secondsLeft"] <= 0.5
    # The timer is disarmed once the steps are over.
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_deadline_already_past_when_the_spec_is_read_stops_the_run_at_once(tmp_path: Path) -> None:
    run, _ = busy_run(tmp_path, datetime.now(UTC) - timedelta(hours=2))
    started = time.monotonic()

    exit_code = run.execute(busy_steps(run, 3600, 20))

    assert exit_code == EXIT_DEADLINE
    assert time.monotonic() - started < 3


def test_a_run_that_ends_before_its_deadline_keeps_its_outcome_and_lists_no_running_nodes(
    tmp_path: Path,
) -> None:
    run, _ = busy_run(tmp_path, None)

    exit_code = run.execute(busy_steps(run, 3600, 0.2))

    assert exit_code == 0
    assert "runningNodes" not in summary_of(tmp_path)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_run_that_stopped_in_time_is_not_ended_later_by_its_watchdog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The watchdog ends the process when dbt does not stop within the grace; once dbt has
    # stopped and the run is over, it must not fire (in a test process it ended later tests).
    ended_with: list[int] = []
    monkeypatch.setattr(lifecycle.os, "_exit", ended_with.append)
    run, _ = busy_run(tmp_path, datetime.now(UTC) - timedelta(hours=2), stop_grace_seconds=0.2)

    assert run.execute(busy_steps(run, 3600, 20)) == EXIT_DEADLINE
    time.sleep(0.6)

    assert ended_with == []
