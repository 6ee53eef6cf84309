"""The dbt half of a run: deps → parse → source freshness → the command → docs generate,
through dbtRunner in this one process, parsing the project once. Each step reports to the
rules in outcome.py and keeps the target files it wrote in the run's state."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TextIO

from .artifacts import ArtifactsError, ArtifactStore, open_store
from .config import ConfigError, RunnerConfig, state_folder
from .layout import attempt_folder, attempt_in, last_attempt_key, last_success_key, run_folder
from .outcome import (
    CONNECTION,
    NOTHING_SELECTED,
    SETTINGS,
    DeadlinePassed,
    Failure,
    RunningNodes,
    RunState,
    StepReport,
    Stopped,
    StoppedAtDeadline,
    command_failure,
    docs_failure,
    docs_follow,
    freshness_failure,
    missing_env_vars_message,
    nothing_selected_failure,
    operation_failure,
    operation_message,
    setup_failure,
)
from .packages import check_packages, deps_failure
from .profile_check import missing_profile_env_vars
from .run_input import selector_words
from .run_log import log_line
from .run_spec import (
    BUILDS_NOTHING,
    NOTHING_TO_DOCUMENT,
    RunSpec,
    dbt_command_args,
    dbt_threads_args,
    dbt_vars_args,
)
from .seeded_sources import (
    exclude_args,
    missing_from_rendered,
    missing_tables_jinja,
    not_created_yet_reason,
    relation_key,
    run_seeds_everything,
    sources_seeds_create,
)
from .state_aware import (
    Comparison,
    changed_selection,
    fresher_sources,
    no_earlier_success,
    no_manifest_under,
    pointer_folder,
    state_run_id,
)
from .summary import Step

PROFILE_NOT_FOUND = "Could not find profile named"


def step_cause(exception: BaseException | None, config: RunnerConfig) -> tuple[str | None, str | None]:
    """Where the fault of a step that raised lies (outcome.SETTINGS, outcome.CONNECTION,
    outcome.NOTHING_SELECTED, or None for dbt and the project), and the words that name it
    (StepReport.message)."""
    from dbt.adapters.exceptions import FailedToConnectError  # noqa: PLC0415
    from dbt.exceptions import DbtProfileError, DbtProjectError, EnvVarMissingError  # noqa: PLC0415

    if exception is None:
        return None, None
    # dbt's message without the "Runtime Error" header its str() adds.
    message = getattr(exception, "msg", None)
    text = message if isinstance(message, str) else str(exception)
    # Every adapter raises FailedToConnectError when its first connection fails, whether the
    # warehouse refused the login or could not be reached; the text is the database's own.
    if isinstance(exception, FailedToConnectError):
        return CONNECTION, text
    if isinstance(exception, EnvVarMissingError):
        return SETTINGS, text
    if isinstance(exception, DbtProfileError):
        missing = missing_profile_env_vars(config.project_dir, config.profiles_dir, config.target, os.environ)
        return SETTINGS, missing_env_vars_message(missing, text) if missing else text
    if isinstance(exception, DbtProjectError) and text.startswith(PROFILE_NOT_FOUND):
        return SETTINGS, f"{text} in {config.profiles_dir / 'profiles.yml'}"
    return selection_cause(exception, text)


def selection_cause(exception: BaseException, text: str) -> tuple[str | None, str | None]:
    """outcome.NOTHING_SELECTED for dbt's warning that the selection matched nothing, raised
    because the run's warnings are errors; (None, None) for any other exception."""
    from dbt_common.exceptions.events import EventCompilationError  # noqa: PLC0415

    if isinstance(exception, EventCompilationError) and selection_warning(text) is not None:
        return NOTHING_SELECTED, text
    return None, None


def selection_warning(text: str) -> str | None:
    """What dbt's warning that a selection matched nothing names: the criterion of
    NoNodesForSelectionCriteria, '' for NothingToDo; None when `text` is neither. Read from the
    events' own wording, so a dbt that rewords them is still recognised."""
    from dbt.events.types import NoNodesForSelectionCriteria, NothingToDo  # noqa: PLC0415

    if text == NothingToDo().message():
        return ""
    marker = "\x00"
    before, after = NoNodesForSelectionCriteria(spec_raw=marker).message().split(marker)
    if len(text) > len(before) + len(after) and text.startswith(before) and text.endswith(after):
        return text[len(before) : len(text) - len(after)]
    return None


class DbtSteps:
    def __init__(self, config: RunnerConfig, spec: RunSpec, state: RunState, out: TextIO, work: Path):
        self.config = config
        self.spec = spec
        self.state = state
        self.out = out
        self.work = work
        self.target_path = config.project_dir / "target"
        self.manifest: Any = None
        # The selection criteria dbt said match no enabled node, in the step running now.
        self.unmatched: list[str] = []
        # The errors dbt logged for a run-operation's macro (note_operation_errors).
        self.operation_errors: list[str] = []

    def common_args(self, *, with_target_path: bool = True) -> list[str]:
        args = [
            "--project-dir", str(self.config.project_dir),
            "--profiles-dir", str(self.config.profiles_dir),
            *(["--target-path", str(self.target_path)] if with_target_path else []),
            "--log-path", str(self.work / "logs"),
            # dbt rolls dbt.log over at 10 MB (its default), which a large project's run
            # passes: the stored log would lose the run's start. Without the limit, no check
            # of the file's size on every line either (bench/README.md, "At scale").
            "--log-file-max-bytes", "0",
            "--no-send-anonymous-usage-stats",
        ]  # fmt: skip
        if not self.out.isatty():
            args.append("--no-use-colors")
        if self.config.target:
            args += ["--target", self.config.target]
        return args + dbt_vars_args(self.spec)

    def invoke(
        self,
        step_name: str,
        args: list[str],
        *,
        keeps: tuple[str, ...] = (),
        use_manifest: bool = True,
        reason: str | None = None,
    ) -> tuple[StepReport, Any]:
        """Runs one dbt step and returns its report and dbt's result object; `keeps` are the
        target files this step writes, taken even when the step failed or was stopped, and
        never left over from an earlier step; `reason`, why the step runs, goes in its log line."""
        from dbt.cli.main import dbtRunner  # noqa: PLC0415 - dbt's import is most of start-up

        for name in keeps:
            (self.target_path / name).unlink(missing_ok=True)
        runner = dbtRunner(
            manifest=self.manifest if use_manifest else None,
            callbacks=[
                track_running_nodes(self.state.running_nodes),
                note_unmatched(self.unmatched),
                note_operation_errors(self.operation_errors),
            ],
        )
        started = time.monotonic()
        self.state.running_step = (step_name, started)
        self.state.running_step_files = (self.target_path, keeps)
        result = runner.invoke(args)
        self.state.running_step = None
        self.state.running_step_files = None
        seconds = time.monotonic() - started
        cause, message = step_cause(result.exception, self.config)
        report = StepReport(step_name, result.success, result.exception, cause, message)
        self.state.steps.append(Step(step_name, report.status, seconds))
        log_line(
            self.out,
            "step",
            step=step_name,
            status=report.status,
            seconds=round(seconds, 3),
            **({"reason": reason} if reason else {}),
            runId=self.config.run_id,
        )
        for name in keeps:
            self.keep(name)
        if isinstance(result.exception, DeadlinePassed):
            raise StoppedAtDeadline(str(result.exception))
        if isinstance(result.exception, KeyboardInterrupt):
            raise Stopped(str(result.exception) or "stopped")
        return report, result.result

    def failed(self, failure: Failure | None) -> bool:
        if failure is None:
            return False
        self.state.fail(failure)
        return True

    def run(self, store: ArtifactStore) -> None:
        with deprecation_summary_once():
            self.run_steps(store)

    def run_steps(self, store: ArtifactStore) -> None:
        if not self.deps():
            return
        # Writing manifest.json here would cost a large project 0.4 s on every run; the command
        # writes it anyway, and keep_parsed_manifest covers the runs that stop before it does.
        parse, manifest = self.invoke(
            "parse", ["parse", "--no-write-json", *self.common_args()], use_manifest=False
        )
        if self.failed(setup_failure(parse)):
            return
        self.manifest = manifest
        try:
            with parsed_project_left_out_of_gc():
                if self.freshness():
                    self.command(store)
                    documents = self.spec.command not in NOTHING_TO_DOCUMENT
                    if documents and docs_follow(self.spec.docs, self.state.exit_code):
                        self.docs()
        finally:
            self.keep_parsed_manifest()

    def deps(self) -> bool:
        """Installs the packages only when they are not installed as package-lock.yml pins them
        (packages.py): the image installed them at build time, and a run may have no network.
        Returns whether the run goes on."""
        check = check_packages(self.config.project_dir, self.spec.vars or {})
        if not check.needed:
            self.state.steps.append(Step("deps", "skipped", check.seconds))
            log_line(
                self.out,
                "step",
                step="deps",
                status="skipped",
                seconds=round(check.seconds, 3),
                reason=check.reason,
                runId=self.config.run_id,
            )
            return True
        # dbt's console output for deps is its retries' tracebacks when there is no network;
        # the step's line and the run's error say what matters, dbt.log keeps the rest.
        args = ["deps", "--log-level", "none", "--log-level-file", "debug"]
        args += self.common_args(with_target_path=False)
        report, _ = self.invoke("deps", args, use_manifest=False, reason=check.reason)
        return not self.failed(deps_failure(report, check) or setup_failure(report))

    def keep_parsed_manifest(self) -> None:
        if "manifest.json" not in self.state.files and self.manifest is not None:
            path = self.work / "parsed-manifest.json"
            self.manifest.writable_manifest().write(str(path))
            self.state.files["manifest.json"] = path.read_bytes()

    def freshness(self) -> bool:
        """Returns whether the run goes on. `source freshness` alone is the check itself."""
        if self.spec.command in BUILDS_NOTHING or self.spec.freshness == "skip":
            self.state.steps.append(Step("freshness", "skipped", 0.0))
            return True
        started = time.monotonic()
        not_created = self.sources_not_created_yet()
        reason = not_created_yet_reason(not_created) if not_created else None
        if not_created and set(not_created) >= set(self.manifest.sources):
            seconds = time.monotonic() - started
            self.state.steps.append(Step("freshness", "skipped", seconds))
            log_line(
                self.out,
                "step",
                step="freshness",
                status="skipped",
                seconds=round(seconds, 3),
                reason=reason,
                runId=self.config.run_id,
            )
            return True
        report, result = self.invoke(
            "freshness",
            [
                "source", "freshness", *exclude_args(not_created),
                *dbt_threads_args(self.spec), *self.common_args(),
            ],
            keeps=("sources.json",),
            reason=reason,
        )  # fmt: skip
        # sources.json leaves out sources whose check errored; dbt's result objects have them all.
        self.state.freshness_results = freshness_results(result)
        if not self.failed(freshness_failure(report, self.spec.freshness, self.state.freshness_results)):
            return True
        self.state.steps.append(Step(self.spec.command, "skipped", 0.0))
        return False

    def sources_not_created_yet(self) -> dict[str, str]:
        """source unique id → the seed of this run that creates its table, for the sources whose
        table does not exist yet (seeded_sources.py). The warehouse is asked only when the run
        seeds every seed and some source is a seed's table; if it cannot answer, the freshness
        step meets the same problem and reports it."""
        if not run_seeds_everything(self.spec):
            return {}
        sources = {
            unique_id: relation_key(source.database, source.schema, source.identifier)
            for unique_id, source in self.manifest.sources.items()
        }
        seeds = {
            unique_id: relation_key(node.database, node.schema, node.alias)
            for unique_id, node in self.manifest.nodes.items()
            if node.resource_type == "seed"
        }
        created = sources_seeds_create(sources, seeds)
        if not created:
            return {}
        from dbt.cli.main import dbtRunner  # noqa: PLC0415

        names = {
            unique_id: (self.manifest.sources[unique_id].source_name, self.manifest.sources[unique_id].name)
            for unique_id in created
        }
        # dbt's console says nothing of this question; dbt.log keeps its queries.
        args = ["compile", "--inline", missing_tables_jinja(names), "--no-write-json", "--no-populate-cache"]
        args += ["--log-level", "none", "--log-level-file", "debug", *self.common_args()]
        result = dbtRunner(manifest=self.manifest).invoke(args)
        if isinstance(result.exception, DeadlinePassed):
            raise StoppedAtDeadline(str(result.exception))
        if isinstance(result.exception, KeyboardInterrupt):
            raise Stopped(str(result.exception) or "stopped")
        compiled = getattr(result.result, "results", None) or []
        if not result.success or not compiled:
            return {}
        rendered = getattr(getattr(compiled[0], "node", None), "compiled_code", None)
        return {unique_id: created[unique_id] for unique_id in missing_from_rendered(rendered, created)}

    def command(self, store: ArtifactStore) -> None:
        state_select: list[str] | None = None
        state_args: list[str] = []
        if self.spec.only == "changed":
            if self.config.state_uri is not None:
                comparison, state_dir = compare_with_state_uri(
                    self.spec.job, state_folder(self.config.state_uri), self.work / "state"
                )
            else:
                comparison, state_dir = self.compare_with_last_success(store)
            self.state.state_aware = comparison
            self.state.project_models = sum(
                1 for node in self.manifest.nodes.values() if node.resource_type == "model"
            )
            if state_dir is not None:
                own = selector_words(self.spec.select) if self.spec.select is not None else None
                state_select = changed_selection(own, with_fresher=comparison.compares_freshness)
                state_args = ["--state", str(state_dir), "--defer"]
                if not comparison.compares_freshness:
                    # A pull request's build: a second push finds the first push's copies in
                    # its own schema, and without --favor-state an unchanged parent would be
                    # read from that stale copy instead of from the state's (live's) relation.
                    state_args.append("--favor-state")
                # Otherwise without --favor-state: the job's own relations are the state's (same
                # job, same stage), and one missing from the warehouse is read where the state
                # built it.
            details: dict[str, Any] = {"comparedWith": comparison.compared_with}
            if comparison.state_uri is not None:
                details["stateUri"] = comparison.state_uri
            if comparison.compares_freshness:
                details["fresherSources"] = list(comparison.fresher_sources)
            if comparison.because:
                details["reason"] = f"{comparison.because}: building everything"
            log_line(self.out, "stateAware", **details, runId=self.config.run_id)
        args = dbt_command_args(self.spec, state_select=state_select) + state_args
        if self.spec.retry_of is not None:
            args += ["--state", str(self.fetch_earlier_run(store, self.spec.retry_of))]
        # The command's run_results.json is the run's: docs generate writes one of its own later.
        keeps = ("run_results.json", "manifest.json")
        if self.spec.command == "source freshness":
            keeps += ("sources.json",)
        self.unmatched.clear()
        self.operation_errors.clear()
        report, result = self.invoke(self.spec.command, [*args, *self.common_args()], keeps=keeps)
        # The commands that select nothing of their own have outcomes of their own.
        own = {"source freshness": self.freshness_alone, "run-operation": self.operation}
        judge = own.get(self.spec.command)
        if judge is not None:
            judge(report, result)
            return
        nodes = getattr(result, "results", None)
        counted = None if nodes is None else len(nodes)
        allow_empty, unmatched = self.spec.allow_empty, self.unmatched
        if state_select is not None and not allow_empty:
            # Nothing changed since the run compared with is a success; a selection of the
            # input's own that matches no node at all (a typo) is still NOTHING_SELECTED.
            given = self.spec.select is not None or self.spec.exclude is not None
            own = self.own_selection_unmatched() if given and counted == 0 and report.success else None
            allow_empty, unmatched = own is None, own or unmatched
        selection = {
            "command": self.spec.command,
            "select": self.spec.select,
            "exclude": self.spec.exclude,
            "selector": self.spec.selector,
            "allowEmpty": allow_empty,
        }
        empty = nothing_selected_failure(report, selection, counted, unmatched)
        self.failed(empty or command_failure(report))

    def freshness_alone(self, report: StepReport, result: Any) -> None:
        """Alone, the check is the run's purpose: a source stale past error_after fails it
        whatever `freshness` says, and the summary's freshness is this step's."""
        self.state.freshness_results = freshness_results(result)
        self.failed(freshness_failure(report, self.spec.freshness_mode, self.state.freshness_results))

    def operation(self, report: StepReport, result: Any) -> None:
        """A failed run-operation's error, and its macro's message in summary.json, are the
        macro's own error, which dbt logs but leaves out of its result."""
        dbt_said = self.operation_errors[0] if self.operation_errors else None
        if self.failed(operation_failure(report, str(self.spec.macro), dbt_said)) and dbt_said:
            # run_results.json's records, which name their node by unique_id alone.
            for item in getattr(result, "results", None) or []:
                unique_id = getattr(item, "unique_id", None)
                if unique_id and not getattr(item, "message", None):
                    self.state.node_messages[unique_id] = operation_message(dbt_said)

    def own_selection_unmatched(self) -> list[str] | None:
        """For a state-aware run that ran no node: None when the input's own select and exclude
        match some node (so nothing changed), else the criteria dbt said match none. dbt's `ls`
        on the parsed manifest answers without the warehouse."""
        from dbt.cli.main import dbtRunner  # noqa: PLC0415

        unmatched: list[str] = []
        args = ["ls", "--no-write-json", "--log-level", "none", "--log-level-file", "debug"]
        if self.spec.select is not None:
            args += ["--select", *selector_words(self.spec.select)]
        if self.spec.exclude is not None:
            args += ["--exclude", *selector_words(self.spec.exclude)]
        if self.spec.command == "run":
            args += ["--resource-type", "model"]
        runner = dbtRunner(manifest=self.manifest, callbacks=[note_unmatched(unmatched)])
        result = runner.invoke([*args, *self.common_args()])
        if isinstance(result.exception, DeadlinePassed):
            raise StoppedAtDeadline(str(result.exception))
        if isinstance(result.exception, KeyboardInterrupt):
            raise Stopped(str(result.exception) or "stopped")
        # An ls that could not answer says nothing against the selection.
        return unmatched if result.success and not result.result else None

    def compare_with_last_success(self, store: ArtifactStore) -> tuple[Comparison, Path | None]:
        """What a state-aware run compares with, and the folder of its manifest.json and
        sources.json for dbt's --state; no folder when either side of the comparison is
        missing, and the run builds everything (state_aware.py)."""
        job = self.spec.job
        pointer = read_last_success(store, last_success_key(job))
        if pointer is None:
            return no_earlier_success(job), None
        named = pointer_folder(pointer)
        if named is None:
            return Comparison(job, because=f"{store.url(last_success_key(job))} names no run folder"), None
        run_id, folder = named
        manifest = read_last_success(store, f"{folder}/manifest.json")
        if manifest is None:
            return Comparison(job, because=f"run {run_id} of job {job} left no manifest.json"), None
        previous_sources = read_last_success(store, f"{folder}/sources.json")
        if previous_sources is None:
            because = f"run {run_id} of job {job} did not check its sources' freshness (no sources.json)"
            return Comparison(job, because=because), None
        current_sources = self.target_path / "sources.json"
        if not current_sources.is_file():
            return Comparison(job, because="this run could not check its sources' freshness"), None
        state_dir = self.work / "state"
        state_dir.mkdir(parents=True, exist_ok=True)
        (state_dir / "manifest.json").write_bytes(manifest)
        (state_dir / "sources.json").write_bytes(previous_sources)
        fresher = fresher_sources(previous_sources, current_sources.read_bytes())
        return Comparison(job, compared_with=run_id, fresher_sources=fresher), state_dir

    def fetch_earlier_run(self, store: ArtifactStore, run_id: str) -> Path:
        """The state of the run `retryOf` names, from its last attempt's folder."""
        state_dir = self.work / "retry-state"
        state_dir.mkdir(parents=True, exist_ok=True)
        folder = earlier_run_folder(store, run_id)
        for name in ("run_results.json", "manifest.json"):
            body = read_earlier_run(store, f"{folder}/{name}")
            if body is None:
                raise ConfigError(f"retryOf: run {run_id!r} has no {name} under {store.url(f'{folder}/')}")
            (state_dir / name).write_bytes(body)
        return state_dir

    def docs(self) -> None:
        # --static adds a self-contained page that opens from a presigned S3 link; the plain
        # index.html would fetch manifest.json and catalog.json unsigned and fail there.
        # --no-compile: the command has just compiled what it ran, in this same manifest;
        # compiling the whole project again would cost more than the catalog itself.
        threads = dbt_threads_args(self.spec)
        report, _ = self.invoke(
            "docs",
            ["docs", "generate", "--static", "--no-compile", *threads, *self.common_args()],
            keeps=("catalog.json", "static_index.html"),
        )
        if not self.failed(docs_failure(report)):
            self.state.docs_generated = True
            self.state.files["index.html"] = self.state.files.pop("static_index.html", b"")

    def keep(self, name: str) -> None:
        path = self.target_path / name
        if path.is_file():
            self.state.files[name] = path.read_bytes()


def read_earlier_run(store: ArtifactStore, key: str) -> bytes | None:
    """A file of the run `retryOf` names. S3 that cannot be reached raises aws.AwsUnreachable
    (exit 5), which another attempt may get past; a refused read is the run's settings (exit 3),
    as a run that is not there is."""
    try:
        return store.get(key)
    except ArtifactsError as error:
        raise ConfigError(f"retryOf: {error}") from None


def read_last_success(store: ArtifactStore, key: str) -> bytes | None:
    """A file of the state a state-aware run compares with. A refused read is the run's settings
    (exit 3: the task role must read jobs/ and runs/), as for retryOf."""
    try:
        return store.get(key)
    except ArtifactsError as error:
        raise ConfigError(f"only: {error}") from None


def compare_with_state_uri(job: str, state_uri: str, state_dir: Path) -> tuple[Comparison, Path | None]:
    """What a state-aware run compares with when STATE_URI names the state: that folder's
    manifest.json, copied into `state_dir` for dbt's --state; code only (a pull request's build
    compares code, not data: no sources.json, no freshness comparison). No folder when it holds
    no manifest.json, and the run builds everything."""
    store = open_store(state_uri)
    manifest = read_state(store, "manifest.json")
    if manifest is None:
        return no_manifest_under(job, state_uri), None
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "manifest.json").write_bytes(manifest)
    # The run whose artifacts the folder holds, for the summary's words; a summary that is
    # missing or cannot be read only costs the name.
    try:
        run_id = state_run_id(store.get("summary.json"))
    except ArtifactsError:
        run_id = None
    return Comparison(job, compared_with=run_id or state_uri, state_uri=state_uri), state_dir


def read_state(store: ArtifactStore, key: str) -> bytes | None:
    """A file of the state STATE_URI names. A refused read is the run's settings (exit 3: the
    role must read that folder); S3 that cannot be reached raises aws.AwsUnreachable (exit 5)."""
    try:
        return store.get(key)
    except ArtifactsError as error:
        raise ConfigError(f"STATE_URI: {error}") from None


def earlier_run_folder(store: ArtifactStore, run_id: str) -> str:
    """The folder of the last attempt of a run: the one its last-attempt.json names, or the run's
    own folder for a run stored before attempts had folders of their own."""
    pointer = read_earlier_run(store, last_attempt_key(run_id))
    if pointer is None:
        return run_folder(run_id)
    attempt = attempt_in(pointer)
    if attempt is None:
        raise ConfigError(f"retryOf: {store.url(last_attempt_key(run_id))} names no attempt")
    return attempt_folder(run_id, attempt)


@contextmanager
def parsed_project_left_out_of_gc() -> Iterator[None]:
    """The parsed project (dbt's manifest, imported modules) lives until the run ends, yet each
    of Python's full collections would walk all of it again: on 2,000 models they took about a
    tenth of the build (bench/README.md, "At scale"). Frozen, the collector leaves it out; the
    garbage the parse left is collected first, so none of it is kept."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def deprecation_summary_once() -> Iterator[None]:
    """dbt prints its summary of deprecations after every invocation, and counts them for the
    whole process (dbt.deprecations.active_deprecations): a run of five steps would print the
    same summary five times. Each step's is held back; the run's is printed once, after its
    last step, through dbt's own event so that it reaches the console and dbt.log as before.
    Each deprecation's own warning is already shown once per process by dbt."""
    from dbt.cli import requires  # noqa: PLC0415
    from dbt_common.exceptions import DbtBaseException  # noqa: PLC0415

    dbt_summary = requires.show_deprecations_summary
    requires.show_deprecations_summary = _held_back
    try:
        yield
    finally:
        requires.show_deprecations_summary = dbt_summary
        # --warn-error makes the summary an error too; the deprecation itself already failed
        # the step that met it, which is the run's outcome.
        with suppress(DbtBaseException):
            dbt_summary()


def _held_back() -> None:
    return None


def track_running_nodes(running: RunningNodes) -> Callable[[Any], None]:
    """A dbtRunner callback that keeps `running` up to date from dbt's NodeStart and
    NodeFinished events, which dbt fires from its worker threads."""

    def on_event(event: Any) -> None:
        name = event.info.name
        if name not in ("NodeStart", "NodeFinished"):
            return
        unique_id = getattr(getattr(event.data, "node_info", None), "unique_id", "")
        if not unique_id:
            return
        if name == "NodeStart":
            running.started(unique_id)
        else:
            running.finished(unique_id)

    return on_event


def note_unmatched(unmatched: list[str]) -> Callable[[Any], None]:
    """A dbtRunner callback that adds to `unmatched` each selection criterion dbt warns
    matches no enabled node (NoNodesForSelectionCriteria)."""

    def on_event(event: Any) -> None:
        if event.info.name == "NoNodesForSelectionCriteria":
            unmatched.append(str(getattr(event.data, "spec_raw", "")))

    return on_event


def note_operation_errors(errors: list[str]) -> Callable[[Any], None]:
    """A dbtRunner callback that adds to `errors` the error of a run-operation's macro, which
    dbt catches and logs (RunningOperationCaughtError, or RunningOperationUncaughtError for an
    exception that is not dbt's) without putting it in its result."""

    def on_event(event: Any) -> None:
        if event.info.name in ("RunningOperationCaughtError", "RunningOperationUncaughtError"):
            errors.append(str(getattr(event.data, "exc", "")))

    return on_event


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
