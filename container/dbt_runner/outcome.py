"""The run's outcome: which exit code, with which error, for what the steps reported.

Exit codes (docs/design.md, "The container contract"): 0 success; 1 dbt reported failures;
2 dbt could not run; 3 configuration or credentials missing; 4 dbt succeeded but the
artifacts could not be stored; 5 AWS could not be reached for the credentials or an earlier
run's artifacts (aws.py), which another attempt may get past; 6 stopped at the run's own
deadline (deadline.py), shortly before its time limit; 7 the command's selection matched no
node. The first failure is the run's outcome.

Pure: no dbt, no I/O. The dbt steps report to these rules; the lifecycle stores what they decide.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .aws import AwsUnreachable
from .config import ConfigError, RunnerConfig
from .credentials import CredentialsError
from .run_spec import InvalidRunInput, RunSpec
from .state_aware import Comparison
from .summary import Step, cut

EXIT_SUCCESS = 0
EXIT_DBT_FAILED = 1
EXIT_DBT_ERROR = 2
EXIT_CONFIG = 3
EXIT_ARTIFACTS = 4
EXIT_AWS_UNREACHABLE = 5
EXIT_DEADLINE = 6
EXIT_NOTHING_SELECTED = 7

STOPPED_BY_SIGTERM = "stopped by SIGTERM (the task was stopped or timed out)"


class Stopped(Exception):
    """dbt was interrupted by SIGTERM; the run stops and keeps what it produced so far."""


class DeadlinePassed(KeyboardInterrupt):
    """The run's own deadline passed. A KeyboardInterrupt, raised where SIGTERM raises one,
    so that dbt cancels the warehouse's queries the same way."""


class StoppedAtDeadline(Stopped):
    """dbt was interrupted by the run's deadline."""


# What can end a run before or between its dbt steps, each an outcome of its own.
RUN_ERRORS = (InvalidRunInput, ConfigError, CredentialsError, AwsUnreachable, Stopped, KeyboardInterrupt)


@dataclass(frozen=True)
class Failure:
    exit_code: int
    error: str


# Where the fault lies when a step raised, if not in dbt or the project: either way it is the
# run's configuration (exit 3), fixed where the run's settings live, never in the project.
SETTINGS = "settings"  # the profile, or a variable it reads that is not set
CONNECTION = "connection"  # the warehouse refused the login or could not be reached
# Or the run's selection: dbt's warning that it matches nothing, raised as an error because the
# run's warnings are errors (warnError, or DBT_WARN_ERROR). Exit 7, as without warnError.
NOTHING_SELECTED = "nothing selected"


@dataclass(frozen=True)
class StepReport:
    """What one dbt step reported, in the terms the rules need."""

    name: str
    success: bool
    exception: BaseException | None = None
    # SETTINGS, CONNECTION, NOTHING_SELECTED, or None for dbt or the project (dbt_steps.py
    # tells them apart).
    cause: str | None = None
    # dbt's own words for the exception, without its "Runtime Error" header, made precise
    # where dbt is vague (the variable an invalid profile lacks); None: the exception's text.
    message: str | None = None

    @property
    def status(self) -> str:
        if self.success:
            return "success"
        return "error" if self.exception is not None else "fail"


class RunningNodes:
    """The nodes dbt has started and not finished, in the order they started. dbt reports
    them from its worker threads (dbt_steps.py), the lifecycle reads them from the main one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started: dict[str, None] = {}
        self._frozen = False

    def started(self, unique_id: str) -> None:
        with self._lock:
            if not self._frozen:
                self._started[unique_id] = None

    def finished(self, unique_id: str) -> None:
        with self._lock:
            if not self._frozen:
                self._started.pop(unique_id, None)

    def freeze(self) -> None:
        """Keeps the nodes running now: once dbt cancels their queries it reports them
        finished, with an error."""
        with self._lock:
            self._frozen = True

    def still_running(self, run_results: dict[str, Any] | None = None) -> list[str]:
        """Less those with a result in run_results.json: dbt reports no NodeFinished for a
        node whose runner raised, but records its result."""
        done = {str(result.get("unique_id")) for result in (run_results or {}).get("results", [])}
        with self._lock:
            return [unique_id for unique_id in self._started if unique_id not in done]


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
    # Where the running step's target files are and which it keeps (DbtSteps.invoke's
    # `keeps`), for a watchdog that stores the run while dbt is still busy.
    running_step_files: tuple[Path, tuple[str, ...]] | None = None
    running_nodes: RunningNodes = field(default_factory=RunningNodes)
    # SIGTERM or the deadline stopped the run: its summary lists the nodes that were running.
    stopped: bool = False
    # A state-aware run (`only: changed`): what it compared with (state_aware.py), and the
    # project's enabled models, which its summary counts built and deferred.
    state_aware: Comparison | None = None
    project_models: int = 0
    # unique id → message, for a node that did not succeed and whose result has no message of
    # its own: a failed run-operation's macro, whose error dbt leaves out of run_results.json.
    node_messages: dict[str, str] = field(default_factory=dict)

    def fail(self, failure: Failure) -> None:
        # The first failure is the run's outcome; later ones only add to the log.
        if self.exit_code == EXIT_SUCCESS:
            self.exit_code = failure.exit_code
            self.error = failure.error


def one_line(text: str) -> str:
    """summary.json's `error` is one line: dbt's messages span several, indented."""
    return " ".join(text.split())


def missing_env_vars_message(names: list[str], dbt_message: str) -> str:
    """dbt's own sentence for a missing variable, for the ones it did not name, followed by
    what it said instead."""
    quoted = ", ".join(f"'{name}'" for name in names)
    several = "s" if len(names) > 1 else ""
    return f"Env var{several} required but not provided: {quoted} (dbt: {one_line(dbt_message)})"


def exception_failure(step: StepReport) -> Failure:
    """A step that raised: dbt could not run, unless the run's settings were wrong or the
    warehouse would not take the connection. The error quotes the cause in dbt's (or the
    database's) own words, which Evaluate's hints recognise (functions/evaluate/classify.ts)."""
    text = one_line(step.message if step.message is not None else str(step.exception))
    if step.cause == CONNECTION:
        return Failure(EXIT_CONFIG, f"{step.name}: could not connect to the warehouse: {text}")
    if step.cause == SETTINGS:
        return Failure(EXIT_CONFIG, f"{step.name}: {text}")
    return Failure(EXIT_DBT_ERROR, f"{step.name}: {type(step.exception).__name__}: {text}")


def _unless_success(step: StepReport, problem: str) -> Failure | None:
    """For the steps that have no failures of the data's to report (deps, parse, docs): not
    succeeding is dbt not being able to run."""
    if step.success:
        return None
    if step.exception is not None:
        return exception_failure(step)
    return Failure(EXIT_DBT_ERROR, f"{step.name}: {problem}")


def setup_failure(step: StepReport) -> Failure | None:
    """deps and parse: without them nothing can run, whatever stopped them."""
    return _unless_success(step, f"RuntimeError: dbt {step.name} failed")


def freshness_failure(step: StepReport, mode: str, sources: list[dict[str, Any]]) -> Failure | None:
    """None when the run goes on: the sources are fresh, or `warn` asks to build regardless,
    which a wrong profile or a warehouse that refuses the connection would not let it do."""
    if step.success or (mode == "warn" and step.cause is None):
        return None
    if step.exception is not None:
        return exception_failure(step)
    unchecked = [source["unique_id"] for source in sources if source["status"] == "runtime error"]
    if unchecked:
        return Failure(EXIT_DBT_ERROR, f"freshness: could not check {', '.join(unchecked)}")
    stale = [source["unique_id"] for source in sources if source["status"] == "error"]
    return Failure(EXIT_DBT_FAILED, f"freshness: stale past error_after: {', '.join(stale)}")


def command_failure(step: StepReport) -> Failure | None:
    if step.exception is not None:
        return exception_failure(step)
    if not step.success:
        return Failure(EXIT_DBT_FAILED, f"{step.name}: dbt reported failures")
    return None


def operation_failure(step: StepReport, macro: str, dbt_said: str | None) -> Failure | None:
    """run-operation: dbt catches the macro's error itself and reports a failure without it,
    in its result as in run_results.json; `dbt_said` is the error dbt logged instead
    (RunningOperationCaughtError or RunningOperationUncaughtError), None if it logged none."""
    if step.exception is not None or step.success or not dbt_said:
        return command_failure(step)
    return Failure(EXIT_DBT_FAILED, f"{step.name}: macro {macro} failed: {operation_message(dbt_said)}")


def operation_message(dbt_said: str) -> str:
    """A macro's error as one line, bounded as a node's message is in summary.json."""
    return cut(one_line(dbt_said)) or ""


# The commands that build or check the nodes a selection picks: for them a selection that picks
# none is a mistake (a typo, a tag no model carries any more) that dbt reports only as a warning
# and a success. The others select nothing of their own: retry reruns an earlier run's
# selection, ls answers with what matches, run-operation runs a macro, and source freshness is
# judged by the sources' age (functions/shared/run-input-contract.ts, EMPTY_SELECTION_NOT_CHECKED).
# A state-aware run that finds nothing changed is a success, not this: its caller says so
# as allowEmpty does.
EMPTY_SELECTION_FAILS = frozenset({"build", "run", "test", "seed", "snapshot", "compile"})

# The run input's fields that make up a selection, with the dbt option each becomes.
SELECTION_OPTIONS = (("select", "--select"), ("exclude", "--exclude"), ("selector", "--selector"))


def selection_text(spec: Mapping[str, Any]) -> str:
    """The selection as the command line gives it, for a message; `spec` is the filled run input."""
    given = [f"{option} {spec[name]}" for name, option in SELECTION_OPTIONS if spec.get(name)]
    return " ".join(given) if given else "no select, exclude or selector: the whole project"


def nothing_selected_failure(
    step: StepReport, spec: Mapping[str, Any], nodes: int | None, unmatched: Sequence[str]
) -> Failure | None:
    """Exit 7 when the command ran no node because its selection matched none, unless the run
    input allows that (`allowEmpty`). `spec` is the filled run input; `nodes`, how many results
    the command returned (None: dbt returned none to count); `unmatched`, the selection criteria
    dbt said match no enabled node. A step whose warnings were errors (warnError) raised at
    dbt's warning instead: its cause is then NOTHING_SELECTED, and it fails whatever allowEmpty
    says, as dbt itself refused the selection."""
    command = str(spec.get("command"))
    if command not in EMPTY_SELECTION_FAILS:
        return None
    if step.cause == NOTHING_SELECTED:
        return Failure(EXIT_NOTHING_SELECTED, nothing_selected_error(command, spec, unmatched, step.message))
    if spec.get("allowEmpty") or step.exception is not None or not step.success or nodes != 0:
        return None
    return Failure(EXIT_NOTHING_SELECTED, nothing_selected_error(command, spec, unmatched, None))


def nothing_selected_error(
    command: str, spec: Mapping[str, Any], unmatched: Sequence[str], dbt_said: str | None
) -> str:
    """summary.json's `error` for exit 7; Evaluate's reason quotes it (functions/evaluate/reasons.ts)."""
    text = f"{command}: the selection matched no node ({selection_text(spec)})"
    if unmatched:
        text += "; no enabled node matches " + ", ".join(f"'{criterion}'" for criterion in unmatched)
    elif dbt_said:
        text += f"; dbt: {one_line(dbt_said)}"
    return text


def docs_follow(docs: bool, exit_code: int) -> bool:
    """Docs describe what was built, failures included; after dbt could not run there is nothing."""
    return docs and exit_code in (EXIT_SUCCESS, EXIT_DBT_FAILED)


def docs_failure(step: StepReport) -> Failure | None:
    return _unless_success(step, "dbt docs generate failed")


def run_error_failure(error: BaseException) -> Failure:
    """The outcome of one of RUN_ERRORS."""
    if isinstance(error, InvalidRunInput):
        return Failure(EXIT_CONFIG, f"InvalidRunInput: {error}")
    if isinstance(error, (ConfigError, CredentialsError)):
        return Failure(EXIT_CONFIG, str(error))
    if isinstance(error, AwsUnreachable):
        return Failure(EXIT_AWS_UNREACHABLE, str(error))
    if isinstance(error, (DeadlinePassed, StoppedAtDeadline)):
        return Failure(EXIT_DEADLINE, str(error) or "stopped at the run's deadline")
    return Failure(EXIT_DBT_ERROR, str(error) or "stopped")


def stopped_by_watchdog(grace_seconds: float, deadline_message: str | None = None) -> Failure:
    """`deadline_message`: the deadline stopped the run, not SIGTERM (Deadline.message)."""
    if deadline_message is not None:
        return Failure(EXIT_DEADLINE, f"{deadline_message}; dbt had not stopped {grace_seconds:g} s later")
    return Failure(
        EXIT_DBT_ERROR,
        f"{STOPPED_BY_SIGTERM}; dbt had not stopped {grace_seconds:g} s later",
    )


def artifacts_failure(error: str) -> Failure:
    return Failure(EXIT_ARTIFACTS, f"artifacts: {error}")


def artifacts_status(exit_code: int) -> str:
    return "error" if exit_code == EXIT_ARTIFACTS else "success"


def run_status(exit_code: int) -> str:
    return "success" if exit_code == EXIT_SUCCESS else "failed"
