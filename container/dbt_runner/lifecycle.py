"""A run's lifecycle once its settings are known: the steps run under a SIGTERM handler and
the run's own deadline (deadline.py), then the artifacts are stored and the outcome logged,
exactly once, whether dbt ends, fails or is stopped."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from .artifacts import ArtifactsError, ArtifactStore
from .config import RunnerConfig
from .deadline import Deadline, run_deadline
from .layout import (
    LATEST,
    attempt_folder,
    last_attempt_key,
    last_attempt_record,
    last_success_key,
    success_key,
    success_record,
)
from .outcome import (
    EXIT_SUCCESS,
    STOPPED_BY_SIGTERM,
    DeadlinePassed,
    RunState,
    artifacts_failure,
    artifacts_status,
    run_status,
    stopped_by_watchdog,
)
from .redaction import Redactor
from .run_log import log_line, now
from .run_spec import BUILDS_NOTHING
from .slow_history import HistoryUnreadable, find_slow_models
from .state_aware import models_built
from .summary import Step, build_summary, has_skipped

RUN_FILES = ("manifest.json", "run_results.json", "sources.json", "catalog.json", "index.html", "dbt.log")
# One successful run's docs page and the artifacts it was built from (and its summary.json,
# written after its own folder's); its log stays in its own folder.
LATEST_FILES = ("index.html", "manifest.json", "catalog.json", "run_results.json", "sources.json")
# ECS's default stopTimeout is 30 s: leave time to upload before SIGKILL.
DEFAULT_STOP_GRACE_SECONDS = 20.0


def store_artifacts(
    state: RunState, store: ArtifactStore, redactor: Redactor, summary: Callable[[], dict[str, Any]]
) -> None:
    run_id = state.config.run_id if state.config else "unknown"
    attempt = state.config.attempt if state.config else 1
    folder = attempt_folder(run_id, attempt)
    failures: list[str] = []
    for name in RUN_FILES:
        if name in state.files:
            try:
                store.put(f"{folder}/{name}", redactor.data(state.files[name]))
            except ArtifactsError as error:
                failures.append(str(error))
    if failures:
        state.fail(artifacts_failure(failures[0]))
    # Only a run that succeeded, docs included, replaces latest/: a failed run's manifest and
    # results would tell a slim CI job or a reader of the docs that broken models are current.
    replaced_latest = False
    if state.exit_code == EXIT_SUCCESS and state.docs_generated:
        try:
            store.replace_prefix(
                LATEST,
                {name: redactor.data(state.files[name]) for name in LATEST_FILES if name in state.files},
            )
            replaced_latest = True
        except ArtifactsError as error:
            state.fail(artifacts_failure(str(error)))
    # Last in the attempt's folder, so that a summary.json in place means its other files are too.
    written = summary()
    summary_body = redactor.data(json.dumps(written, indent=2).encode())
    try:
        store.put(f"{folder}/summary.json", summary_body)
    except ArtifactsError as error:
        state.fail(artifacts_failure(str(error)))
    # latest/ gets the same summary, which names the run its files came from: a pull request's
    # build that compares with them (STATE_URI) says "since run X". Only once the attempt's own
    # is stored; until then latest/ has none rather than the previous run's.
    if replaced_latest and state.exit_code == EXIT_SUCCESS:
        try:
            store.put(f"{LATEST}/summary.json", summary_body)
        except ArtifactsError as error:
            state.fail(artifacts_failure(str(error)))
    # Then the run's pointer to this attempt, for readers that know only the run id.
    try:
        store.put(last_attempt_key(run_id), last_attempt_record(run_id, attempt))
    except ArtifactsError as error:
        state.fail(artifacts_failure(str(error)))
    store_success_pointers(state, store, written)


def store_success_pointers(state: RunState, store: ArtifactStore, summary: dict[str, Any]) -> None:
    """After a successful run that built (not one of the commands that build nothing), the
    job's pointers to its folder (layout.py): last-success.json, which the next state-aware run
    compares with, and one entry in successes/, the job's history of timings. Last of all, so
    a pointer always names a folder whose files are in place."""
    spec = state.spec
    if (
        state.exit_code != EXIT_SUCCESS
        or state.config is None
        or spec is None
        or spec.command in BUILDS_NOTHING
    ):
        return
    run_id, attempt = state.config.run_id, state.config.attempt
    finished_at = str(summary.get("finishedAt"))
    record = success_record(run_id, attempt, finished_at, spec.command)
    try:
        store.put(success_key(spec.job, finished_at, run_id), record)
        store.put(last_success_key(spec.job), record)
    except ArtifactsError as error:
        state.fail(artifacts_failure(str(error)))


class Run:
    """One run after its settings are known: the steps, then the artifacts, exactly once."""

    def __init__(
        self,
        config: RunnerConfig,
        store: ArtifactStore,
        redactor: Redactor,
        out: TextIO,
        work: Path,
        stop_grace_seconds: float,
    ) -> None:
        self.config = config
        self.store = store
        self.redactor = redactor
        self.out = out
        self.work = work
        self.state = RunState(config=config)
        self.started_at = now()
        self.started_clock = datetime.now(UTC)
        self.stop_grace_seconds = stop_grace_seconds
        self.deadline: Deadline | None = None
        self._finished = threading.Lock()
        self._exit_code: int | None = None
        self._steps_running = False
        self._watchdog: threading.Timer | None = None

    def execute(self, steps: Callable[[RunState], None]) -> int:
        previous_sigterm = signal.signal(signal.SIGTERM, self._on_sigterm)
        previous_sigalrm = signal.signal(signal.SIGALRM, self._on_deadline)
        self._steps_running = True
        try:
            steps(self.state)
        finally:
            self._steps_running = False
            # dbt stopped in time: the watchdog must not end the process later (in a test
            # process, it would end the tests that come after).
            if self._watchdog is not None:
                self._watchdog.cancel()
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous_sigalrm)
            signal.signal(signal.SIGTERM, previous_sigterm)
        return self.finish()

    def arm_deadline(self, limit_seconds: int | None) -> None:
        """Stops dbt shortly before the run's limit (deadline.py), counted from when RunDbt's
        timer started, or from the container's own start for a task started by hand. Called
        once the run spec, which holds the limit, is read."""
        if limit_seconds is None:
            return
        started = self.config.attempt_started_at or self.started_clock
        self.deadline = run_deadline(started, limit_seconds, self.stop_grace_seconds)
        seconds_left = self.deadline.seconds_left(datetime.now(UTC))
        log_line(
            self.out,
            "deadline",
            stopAt=self.deadline.at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            secondsLeft=round(seconds_left, 3),
            limitSeconds=limit_seconds,
            marginSeconds=self.deadline.margin_seconds,
            runId=self.config.run_id,
        )
        # A deadline already past (the task took that long to start) stops the run at once.
        signal.setitimer(signal.ITIMER_REAL, max(seconds_left, 0.001))

    def _on_sigterm(self, _signum: int, _frame: Any) -> None:
        # ECS sends SIGTERM, then SIGKILL after the container's stopTimeout.
        self._stop(KeyboardInterrupt(STOPPED_BY_SIGTERM), None)

    def _on_deadline(self, _signum: int, _frame: Any) -> None:
        if self.deadline is not None:
            self._stop(DeadlinePassed(self.deadline.message), self.deadline.message)

    def _stop(self, interrupt: KeyboardInterrupt, deadline_message: str | None) -> None:
        # One stop per run: a SIGTERM after the deadline (or the other way round) must not
        # interrupt dbt again while it cancels its queries and writes run_results.json; and
        # none once the steps are over, when the artifacts are being stored anyway.
        if self.state.stopped or not self._steps_running:
            return
        self.state.stopped = True
        self.state.running_nodes.freeze()
        # A watchdog makes sure the artifacts are stored in time even if dbt cannot cancel
        # its query (DuckDB cannot; Redshift can).
        self._watchdog = threading.Timer(self.stop_grace_seconds, self._stop_now, args=(deadline_message,))
        self._watchdog.daemon = True
        self._watchdog.start()
        # KeyboardInterrupt is what dbt handles: it cancels the warehouse's running queries
        # and writes run_results.json for what finished before it re-raises.
        raise interrupt

    def _stop_now(self, deadline_message: str | None) -> None:
        if self.state.running_step is not None:
            name, started = self.state.running_step
            self.state.steps.append(Step(name, "stopped", time.monotonic() - started))
        self._keep_running_step_files()
        self.state.fail(stopped_by_watchdog(self.stop_grace_seconds, deadline_message))
        code = self.finish()
        self.out.flush()
        os._exit(code)

    def _keep_running_step_files(self) -> None:
        """What the busy step has written: dbt writes run_results.json as soon as it is
        interrupted, before it waits for its queries."""
        if self.state.running_step_files is None:
            return
        target, names = self.state.running_step_files
        for name in names:
            path = target / name
            if name not in self.state.files and path.is_file():
                self.state.files[name] = path.read_bytes()

    def finish(self) -> int:
        """Stores the artifacts and logs the outcome; the first caller does it, later ones get
        the same exit code."""
        with self._finished:
            if self._exit_code is None:
                self._exit_code = self._store_and_report()
            return self._exit_code

    def _store_and_report(self) -> int:
        state = self.state
        dbt_log = self.work / "logs" / "dbt.log"
        if dbt_log.is_file():
            state.files["dbt.log"] = dbt_log.read_bytes()
        artifacts_started = time.monotonic()
        store_artifacts(state, self.store, self.redactor, self._summary)
        log_line(
            self.out,
            "step",
            step="artifacts",
            status=artifacts_status(state.exit_code),
            seconds=round(time.monotonic() - artifacts_started, 3),
            runId=self.config.run_id,
        )
        log_line(
            self.out,
            "run",
            status=run_status(state.exit_code),
            exitCode=state.exit_code,
            runId=self.config.run_id,
            error=state.error,
            attempt=self.config.attempt,
            artifacts=self.store.url(f"{attempt_folder(self.config.run_id, self.config.attempt)}/"),
        )
        return state.exit_code

    def _summary(self) -> dict[str, Any]:
        from dbt.version import __version__ as dbt_version  # noqa: PLC0415

        state = self.state
        run_results = _json_or_none(state.files.get("run_results.json"))
        return build_summary(
            run_id=self.config.run_id,
            attempt=self.config.attempt,
            job=state.spec.job if state.spec else None,
            exit_code=state.exit_code,
            command=state.spec.command if state.spec else "unknown",
            dbt_version=dbt_version,
            started_at=self.started_at,
            finished_at=now(),
            steps=state.steps,
            run_results=run_results,
            sources=state.freshness_results,
            freshness_mode=state.spec.freshness_mode if state.spec else "skip",
            error=state.error,
            running_nodes=state.running_nodes.still_running(run_results) if state.stopped else None,
            # Reading a large project's manifest costs time: only a run that skipped nodes needs it.
            parent_map=_parent_map(state.files.get("manifest.json")) if has_skipped(run_results) else None,
            slow_models=self._slow_models(run_results),
            state_aware=state.state_aware.to_json(state.project_models, models_built(run_results))
            if state.state_aware is not None
            else None,
            node_messages=state.node_messages,
        )

    def _slow_models(self, run_results: dict[str, Any] | None) -> list[dict[str, Any]] | None:
        """None when the check does not run: a stopped run has no time to read the history
        before SIGKILL, and a run without a job has no history."""
        spec = self.state.spec
        runs = self.config.slow_models_runs
        if spec is None or runs == 0 or self.state.stopped or run_results is None:
            return None
        try:
            return find_slow_models(
                self.store,
                spec.job,
                self.config.run_id,
                run_results,
                runs,
                self.config.slow_models_min_extra_seconds,
            )
        except HistoryUnreadable as error:
            log_line(self.out, "slowModels", status="unchecked", error=str(error), runId=self.config.run_id)
            return None


def _parent_map(manifest: bytes | None) -> dict[str, list[str]] | None:
    parent_map = (_json_or_none(manifest) or {}).get("parent_map")
    return parent_map if isinstance(parent_map, dict) else None


def _json_or_none(body: bytes | None) -> dict[str, Any] | None:
    if body is None:
        return None
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
