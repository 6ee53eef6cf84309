"""A run's lifecycle once its settings are known: the steps run under a SIGTERM handler, then
the artifacts are stored and the outcome logged, exactly once, whether dbt ends, fails or
is stopped."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from .artifacts import ArtifactsError, ArtifactStore
from .config import RunnerConfig
from .outcome import (
    STOPPED_BY_SIGTERM,
    RunState,
    artifacts_failure,
    artifacts_status,
    run_status,
    stopped_by_watchdog,
)
from .redaction import Redactor
from .run_log import log_line, now
from .summary import Step, build_summary

RUN_FILES = ("manifest.json", "run_results.json", "sources.json", "catalog.json", "index.html", "dbt.log")
LATEST_DOCS_FILES = ("index.html", "manifest.json", "catalog.json")
# ECS's default stopTimeout is 30 s: leave time to upload before SIGKILL.
DEFAULT_STOP_GRACE_SECONDS = 20.0


def store_artifacts(
    state: RunState, store: ArtifactStore, redactor: Redactor, summary: Callable[[], dict[str, Any]]
) -> None:
    run_prefix = f"runs/{state.config.run_id}" if state.config else "runs/unknown"
    failures: list[str] = []
    for name in RUN_FILES:
        if name in state.files:
            try:
                store.put(f"{run_prefix}/{name}", redactor.data(state.files[name]))
            except ArtifactsError as error:
                failures.append(str(error))
    if state.docs_generated and not failures:
        try:
            store.replace_prefix(
                "latest",
                {name: redactor.data(state.files[name]) for name in LATEST_DOCS_FILES if name in state.files},
            )
        except ArtifactsError as error:
            failures.append(str(error))
    if failures:
        state.fail(artifacts_failure(failures[0]))
    # Last, so that a summary.json in place means the run's other files are in place too.
    try:
        store.put(f"{run_prefix}/summary.json", redactor.data(json.dumps(summary(), indent=2).encode()))
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
        self.stop_grace_seconds = stop_grace_seconds
        self._finished = threading.Lock()
        self._exit_code: int | None = None

    def execute(self, steps: Callable[[RunState], None]) -> int:
        previous_handler = signal.signal(signal.SIGTERM, self._on_sigterm)
        try:
            steps(self.state)
        finally:
            signal.signal(signal.SIGTERM, previous_handler)
        return self.finish()

    def _on_sigterm(self, _signum: int, _frame: Any) -> None:
        # ECS sends SIGTERM, then SIGKILL after the container's stopTimeout. A watchdog makes
        # sure the artifacts are stored in time even if dbt cannot cancel its query (DuckDB
        # cannot; Redshift can).
        watchdog = threading.Timer(self.stop_grace_seconds, self._stop_now)
        watchdog.daemon = True
        watchdog.start()
        # KeyboardInterrupt is what dbt handles: it cancels the warehouse's running queries
        # and writes run_results.json for what finished before it re-raises.
        raise KeyboardInterrupt(STOPPED_BY_SIGTERM)

    def _stop_now(self) -> None:
        if self.state.running_step is not None:
            name, started = self.state.running_step
            self.state.steps.append(Step(name, "stopped", time.monotonic() - started))
        self.state.fail(stopped_by_watchdog(self.stop_grace_seconds))
        code = self.finish()
        self.out.flush()
        os._exit(code)

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
            artifacts=self.store.url(f"runs/{self.config.run_id}/"),
        )
        return state.exit_code

    def _summary(self) -> dict[str, Any]:
        from dbt.version import __version__ as dbt_version  # noqa: PLC0415

        state = self.state
        return build_summary(
            run_id=self.config.run_id,
            job=state.spec.job if state.spec else None,
            exit_code=state.exit_code,
            command=state.spec.command if state.spec else "unknown",
            dbt_version=dbt_version,
            started_at=self.started_at,
            finished_at=now(),
            steps=state.steps,
            run_results=_json_or_none(state.files.get("run_results.json")),
            sources=state.freshness_results,
            freshness_mode=state.spec.freshness if state.spec else "skip",
            error=state.error,
        )


def _json_or_none(body: bytes | None) -> dict[str, Any] | None:
    if body is None:
        return None
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
