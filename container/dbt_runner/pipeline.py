"""One run: deps → parse → source freshness → the command → docs generate, through
dbtRunner in this one process, parsing the project once; then the artifacts.

Exit codes (DESIGN.md, "The container contract"): 0 success; 1 dbt reported failures;
2 dbt could not run; 3 configuration or credentials missing; 4 dbt succeeded but the
artifacts could not be stored.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from .artifacts import ArtifactsError, ArtifactStore, open_store
from .config import ConfigError, RunnerConfig, read_config, read_run_spec
from .credentials import CredentialsError, resolve_credentials
from .redaction import RedactingStream, Redactor, secret_env_values
from .run_spec import InvalidRunInput, RunSpec, dbt_command_args, dbt_vars_args
from .summary import Step, build_summary

EXIT_SUCCESS = 0
EXIT_DBT_FAILED = 1
EXIT_DBT_ERROR = 2
EXIT_CONFIG = 3
EXIT_ARTIFACTS = 4

RUN_FILES = ("manifest.json", "run_results.json", "sources.json", "catalog.json", "index.html", "dbt.log")
LATEST_DOCS_FILES = ("index.html", "manifest.json", "catalog.json")
# ECS's default stopTimeout is 30 s: leave time to upload before SIGKILL.
DEFAULT_STOP_GRACE_SECONDS = 20.0


class Stopped(Exception):
    """dbt was interrupted by SIGTERM; the run stops and keeps what it produced so far."""


@dataclass
class RunState:
    config: RunnerConfig | None = None
    spec: RunSpec | None = None
    exit_code: int = EXIT_SUCCESS
    error: str | None = None
    steps: list[Step] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    docs_generated: bool = False
    freshness_results: list[dict[str, Any]] | None = None
    running_step: tuple[str, float] | None = None

    def fail(self, exit_code: int, error: str) -> None:
        # The first failure is the run's outcome; later ones only add to the log.
        if self.exit_code == EXIT_SUCCESS:
            self.exit_code = exit_code
            self.error = error


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def log_line(out: TextIO, event: str, **fields: Any) -> None:
    out.write(json.dumps({"event": event, "time": _now(), **fields}, default=str) + "\n")
    out.flush()


class DbtSteps:
    """The dbt half of a run. Kept apart from artifact handling so each decision is testable."""

    def __init__(self, config: RunnerConfig, spec: RunSpec, state: RunState, out: TextIO, work: Path):
        self.config = config
        self.spec = spec
        self.state = state
        self.out = out
        self.work = work
        self.target_path = config.project_dir / "target"
        self.manifest: Any = None

    def common_args(self, *, with_target_path: bool = True) -> list[str]:
        args = [
            "--project-dir", str(self.config.project_dir),
            "--profiles-dir", str(self.config.profiles_dir),
            *(["--target-path", str(self.target_path)] if with_target_path else []),
            "--log-path", str(self.work / "logs"),
            "--no-send-anonymous-usage-stats",
        ]  # fmt: skip
        if not self.out.isatty():
            args.append("--no-use-colors")
        if self.config.target:
            args += ["--target", self.config.target]
        return args + dbt_vars_args(self.spec)

    def invoke(
        self, step_name: str, args: list[str], *, keeps: tuple[str, ...] = (), use_manifest: bool = True
    ) -> Any:
        """Runs one dbt step; `keeps` are the target files this step writes, taken even when
        the step failed or was stopped, and never left over from an earlier step."""
        from dbt.cli.main import dbtRunner  # noqa: PLC0415 - dbt's import is most of start-up

        for name in keeps:
            (self.target_path / name).unlink(missing_ok=True)
        runner = dbtRunner(manifest=self.manifest if use_manifest else None)
        started = time.monotonic()
        self.state.running_step = (step_name, started)
        result = runner.invoke(args)
        self.state.running_step = None
        seconds = time.monotonic() - started
        status = "success" if result.success else ("error" if result.exception else "fail")
        self.state.steps.append(Step(step_name, status, seconds))
        log_line(
            self.out,
            "step",
            step=step_name,
            status=status,
            seconds=round(seconds, 3),
            runId=self.config.run_id,
        )
        for name in keeps:
            self.keep(name)
        if isinstance(result.exception, KeyboardInterrupt):
            raise Stopped(str(result.exception) or "stopped")
        return result

    def classify_exception(self, step_name: str, exception: BaseException) -> None:
        from dbt.exceptions import DbtProfileError, EnvVarMissingError  # noqa: PLC0415

        if isinstance(exception, (DbtProfileError, EnvVarMissingError)):
            self.state.fail(EXIT_CONFIG, f"{step_name}: {exception}")
        else:
            self.state.fail(EXIT_DBT_ERROR, f"{step_name}: {type(exception).__name__}: {exception}")

    def run(self, store: ArtifactStore) -> None:
        deps = self.invoke("deps", ["deps", *self.common_args(with_target_path=False)], use_manifest=False)
        if not deps.success:
            self.classify_exception("deps", deps.exception or RuntimeError("dbt deps failed"))
            return
        # Writing manifest.json here would cost a large project 0.4 s on every run; the command
        # writes it anyway, and keep_parsed_manifest covers the runs that stop before it does.
        parse = self.invoke("parse", ["parse", "--no-write-json", *self.common_args()], use_manifest=False)
        if not parse.success:
            self.classify_exception("parse", parse.exception or RuntimeError("dbt parse failed"))
            return
        self.manifest = parse.result
        try:
            if self.freshness():
                self.command(store)
                if self.spec.docs and self.state.exit_code in (EXIT_SUCCESS, EXIT_DBT_FAILED):
                    self.docs()
        finally:
            self.keep_parsed_manifest()

    def keep_parsed_manifest(self) -> None:
        if "manifest.json" not in self.state.files and self.manifest is not None:
            path = self.work / "parsed-manifest.json"
            self.manifest.writable_manifest().write(str(path))
            self.state.files["manifest.json"] = path.read_bytes()

    def freshness(self) -> bool:
        """Returns whether the run goes on."""
        if self.spec.freshness == "skip":
            self.state.steps.append(Step("freshness", "skipped", 0.0))
            return True
        result = self.invoke(
            "freshness", ["source", "freshness", *self.common_args()], keeps=("sources.json",)
        )
        # sources.json leaves out sources whose check errored; dbt's result objects have them all.
        self.state.freshness_results = freshness_results(result.result)
        if result.success or self.spec.freshness == "warn":
            return True
        if result.exception is not None:
            self.classify_exception("freshness", result.exception)
        else:
            unchecked = [
                r["unique_id"] for r in self.state.freshness_results if r["status"] == "runtime error"
            ]
            stale = [r["unique_id"] for r in self.state.freshness_results if r["status"] == "error"]
            if unchecked:
                self.state.fail(EXIT_DBT_ERROR, f"freshness: could not check {', '.join(unchecked)}")
            else:
                self.state.fail(EXIT_DBT_FAILED, f"freshness: stale past error_after: {', '.join(stale)}")
        self.state.steps.append(Step(self.spec.command, "skipped", 0.0))
        return False

    def command(self, store: ArtifactStore) -> None:
        args = dbt_command_args(self.spec)
        if self.spec.retry_of is not None:
            args += ["--state", str(self.fetch_earlier_run(store, self.spec.retry_of))]
        # The command's run_results.json is the run's: docs generate writes one of its own later.
        result = self.invoke(
            self.spec.command, [*args, *self.common_args()], keeps=("run_results.json", "manifest.json")
        )
        if result.exception is not None:
            self.classify_exception(self.spec.command, result.exception)
        elif not result.success:
            self.state.fail(EXIT_DBT_FAILED, f"{self.spec.command}: dbt reported failures")

    def fetch_earlier_run(self, store: ArtifactStore, run_id: str) -> Path:
        state_dir = self.work / "retry-state"
        state_dir.mkdir(parents=True, exist_ok=True)
        for name in ("run_results.json", "manifest.json"):
            body = store.get(f"runs/{run_id}/{name}")
            if body is None:
                raise ConfigError(
                    f"retryOf: run {run_id!r} has no {name} under {store.url(f'runs/{run_id}/')}"
                )
            (state_dir / name).write_bytes(body)
        return state_dir

    def docs(self) -> None:
        # --static adds a self-contained page that opens from a presigned S3 link; the plain
        # index.html would fetch manifest.json and catalog.json unsigned and fail there.
        # --no-compile: the command has just compiled what it ran, in this same manifest;
        # compiling the whole project again would cost more than the catalog itself.
        result = self.invoke(
            "docs",
            ["docs", "generate", "--static", "--no-compile", *self.common_args()],
            keeps=("catalog.json", "static_index.html"),
        )
        if result.success:
            self.state.docs_generated = True
            self.state.files["index.html"] = self.state.files.pop("static_index.html", b"")
        elif result.exception is not None:
            self.classify_exception("docs", result.exception)
        else:
            self.state.fail(EXIT_DBT_ERROR, "docs: dbt docs generate failed")

    def keep(self, name: str) -> None:
        path = self.target_path / name
        if path.is_file():
            self.state.files[name] = path.read_bytes()


def freshness_results(result: Any) -> list[dict[str, Any]]:
    """dbt's FreshnessResult as plain records, in sources.json's own field names."""
    records = []
    for item in getattr(result, "results", None) or []:
        node = getattr(item, "node", None)
        loaded = getattr(item, "max_loaded_at", None)
        records.append(
            {
                "unique_id": getattr(item, "unique_id", None) or getattr(node, "unique_id", None),
                "status": str(getattr(item, "status", "runtime error")),
                "max_loaded_at": loaded.isoformat() if loaded is not None else None,
                "error": getattr(item, "message", None)
                if str(getattr(item, "status", "")) != "pass"
                else None,
            }
        )
    return records


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
        state.fail(EXIT_ARTIFACTS, "artifacts: " + failures[0])
    # Last, so that a summary.json in place means the run's other files are in place too.
    try:
        store.put(f"{run_prefix}/summary.json", redactor.data(json.dumps(summary(), indent=2).encode()))
    except ArtifactsError as error:
        state.fail(EXIT_ARTIFACTS, f"artifacts: {error}")


@contextmanager
def redacted_output(redactor: Redactor) -> Iterator[TextIO]:
    original_out, original_err = sys.stdout, sys.stderr
    sys.stdout = RedactingStream(original_out, redactor)  # type: ignore[assignment]
    sys.stderr = RedactingStream(original_err, redactor)  # type: ignore[assignment]
    try:
        yield sys.stdout
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = original_out, original_err


def run(environ: Mapping[str, str]) -> int:
    redactor = Redactor(secret_env_values(environ))
    with redacted_output(redactor) as out:
        try:
            config = read_config(environ)
            store = open_store(config.artifacts_uri)
        except (ConfigError, ValueError) as error:
            # Without a run id and a store there is nowhere to put a summary: the log says it.
            log_line(out, "run", status="error", exitCode=EXIT_CONFIG, error=str(error))
            return EXIT_CONFIG
        with tempfile.TemporaryDirectory(prefix="serverless-dbt-") as work_dir:
            return Run(config, store, redactor, out, Path(work_dir), environ).execute()


class Run:
    """One run after its settings are known: the dbt steps, then the artifacts, exactly once,
    whether dbt ends, fails or is stopped."""

    def __init__(
        self,
        config: RunnerConfig,
        store: ArtifactStore,
        redactor: Redactor,
        out: TextIO,
        work: Path,
        environ: Mapping[str, str],
    ) -> None:
        self.config = config
        self.store = store
        self.redactor = redactor
        self.out = out
        self.work = work
        self.state = RunState(config=config)
        self.started_at = _now()
        self.stop_grace_seconds = float(environ.get("STOP_GRACE_SECONDS") or DEFAULT_STOP_GRACE_SECONDS)
        self._finished = threading.Lock()
        self._exit_code: int | None = None

    def execute(self) -> int:
        previous_handler = signal.signal(signal.SIGTERM, self._on_sigterm)
        try:
            self._steps()
        finally:
            signal.signal(signal.SIGTERM, previous_handler)
        return self.finish()

    def _steps(self) -> None:
        state = self.state
        try:
            state.spec = read_run_spec(self.config.raw_spec)
            log_line(
                self.out, "run", status="started", runId=self.config.run_id, spec=state.spec.to_json_dict()
            )
            credentials_started = time.monotonic()
            try:
                credentials = resolve_credentials(self.config.credentials_source)
            finally:
                failed = sys.exc_info()[0] is not None
                state.steps.append(
                    Step(
                        "credentials",
                        "error" if failed else "success",
                        time.monotonic() - credentials_started,
                    )
                )
            self.redactor.add(credentials.secrets)
            os.environ.update(credentials.env)
            # Relative paths in profiles.yml (the DuckDB file) resolve against the project, as
            # they do when dbt is run by hand from it.
            os.chdir(self.config.project_dir)
            DbtSteps(self.config, state.spec, state, self.out, self.work).run(self.store)
        except InvalidRunInput as error:
            state.fail(EXIT_CONFIG, f"InvalidRunInput: {error}")
        except (ConfigError, CredentialsError) as error:
            state.fail(EXIT_CONFIG, str(error))
        except (Stopped, KeyboardInterrupt) as error:
            state.fail(EXIT_DBT_ERROR, str(error) or "stopped")

    def _on_sigterm(self, _signum: int, _frame: Any) -> None:
        # ECS sends SIGTERM, then SIGKILL after the container's stopTimeout. A watchdog makes
        # sure the artifacts are stored in time even if dbt cannot cancel its query (DuckDB
        # cannot; Redshift can).
        watchdog = threading.Timer(self.stop_grace_seconds, self._stop_now)
        watchdog.daemon = True
        watchdog.start()
        # KeyboardInterrupt is what dbt handles: it cancels the warehouse's running queries
        # and writes run_results.json for what finished before it re-raises.
        raise KeyboardInterrupt("stopped by SIGTERM (the task was stopped or timed out)")

    def _stop_now(self) -> None:
        if self.state.running_step is not None:
            name, started = self.state.running_step
            self.state.steps.append(Step(name, "stopped", time.monotonic() - started))
        self.state.fail(
            EXIT_DBT_ERROR,
            f"stopped by SIGTERM (the task was stopped or timed out); dbt had not stopped "
            f"{self.stop_grace_seconds:g} s later",
        )
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
            status="error" if state.exit_code == EXIT_ARTIFACTS else "success",
            seconds=round(time.monotonic() - artifacts_started, 3),
            runId=self.config.run_id,
        )
        log_line(
            self.out,
            "run",
            status="success" if state.exit_code == EXIT_SUCCESS else "failed",
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
            finished_at=_now(),
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
