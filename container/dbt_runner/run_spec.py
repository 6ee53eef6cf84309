"""RUN_SPEC, the run input as Prepare filled it, checked again inside the container and turned
into dbt's argv.

Prepare has already validated it; the container checks it once more, with the same rules
(run_input.py, generated from the run input's one contract), because a task can be started
without the state machine (a hand-run task, an edited override) and nothing that reaches dbt's
argv may act as a flag or as shell text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .run_input import FIELDS, InvalidRunInput, selector_words, validate_run_input

__all__ = [
    "RUN_ID_PATTERN",
    "InvalidRunInput",
    "RunSpec",
    "dbt_command_args",
    "dbt_threads_args",
    "dbt_vars_args",
    "parse_run_spec",
]

# A run id names the execution and the artifacts' folder: the same words as `retryOf`.
RUN_ID_PATTERN = re.compile(FIELDS["retryOf"]["pattern"])

# The commands that build nothing: no freshness check runs before them (`source freshness` is
# the check itself), and only compile's output is worth a docs site.
BUILDS_NOTHING = frozenset({"compile", "ls", "run-operation", "source freshness"})
NOTHING_TO_DOCUMENT = frozenset({"ls", "run-operation", "source freshness"})


@dataclass(frozen=True)
class RunSpec:
    job: str = "manual"
    command: str = "build"
    select: str | None = None
    exclude: str | None = None
    selector: str | None = None
    full_refresh: bool = False
    vars: dict[str, Any] | None = None
    freshness: str = "warn"
    docs: bool = True
    retry_of: str | None = None
    timeout_seconds: int | None = None
    threads: int | None = None
    fail_fast: bool = False
    warn_error: bool = False
    macro: str | None = None
    args: dict[str, Any] | None = None
    allow_empty: bool = False
    only: str | None = None
    _filled: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def freshness_mode(self) -> str:
        """How the run checks freshness: `source freshness` alone always does, and fails on
        sources stale past error_after; the commands that build nothing never do."""
        if self.command == "source freshness":
            return "fail"
        return "skip" if self.command in BUILDS_NOTHING else self.freshness

    def to_json_dict(self) -> dict[str, Any]:
        """The filled spec in the run input's own camelCase shape."""
        return dict(self._filled)


def parse_run_spec(raw: Any) -> RunSpec:
    """:raises InvalidRunInput: naming the first wrong field, as Prepare would."""
    filled = validate_run_input(raw)
    return RunSpec(
        job=filled["job"],
        command=filled["command"],
        select=filled.get("select"),
        exclude=filled.get("exclude"),
        selector=filled.get("selector"),
        full_refresh=filled["fullRefresh"],
        vars=filled.get("vars"),
        freshness=filled["freshness"],
        docs=filled["docs"],
        retry_of=filled.get("retryOf"),
        timeout_seconds=filled.get("timeoutSeconds"),
        threads=filled.get("threads"),
        fail_fast=filled.get("failFast", False),
        warn_error=filled.get("warnError", False),
        macro=filled.get("macro"),
        args=filled.get("args"),
        allow_empty=filled.get("allowEmpty", False),
        only=filled.get("only"),
        _filled=filled,
    )


# A state-aware run's criteria match nothing when nothing changed, which dbt warns of: under
# --warn-error that warning stays one, as everything else becomes an error.
STATE_AWARE_WARN_ERROR = json.dumps(
    {"error": "all", "warn": ["NoNodesForSelectionCriteria", "NothingToDo"]}, separators=(",", ":")
)


def dbt_command_args(spec: RunSpec, *, state_select: list[str] | None = None) -> list[str]:
    """The command's own argv for dbtRunner: one item per word, so nothing is ever re-split.
    The run input's rules have already refused what dbt refuses for the command.
    `state_select`: a state-aware run's selection (state_aware.changed_selection), which
    replaces the input's own select."""
    # `source freshness` is dbt's two words; no other command has a space.
    args = spec.command.split(" ")
    if spec.macro is not None:
        args.append(spec.macro)
    if spec.args is not None:
        args += ["--args", json.dumps(spec.args, separators=(",", ":"))]
    if state_select is not None:
        args += ["--select", *state_select]
    elif spec.select is not None:
        args += ["--select", *selector_words(spec.select)]
    if spec.exclude is not None:
        args += ["--exclude", *selector_words(spec.exclude)]
    if spec.selector is not None:
        args += ["--selector", spec.selector]
    if spec.full_refresh:
        args.append("--full-refresh")
    if spec.fail_fast:
        args.append("--fail-fast")
    if spec.warn_error and state_select is not None:
        args += ["--warn-error-options", STATE_AWARE_WARN_ERROR]
    elif spec.warn_error:
        args.append("--warn-error")
    return args + dbt_threads_args(spec)


def dbt_threads_args(spec: RunSpec) -> list[str]:
    """For every step that queries the warehouse (freshness, the command, docs): ls runs none."""
    return [] if spec.threads is None else ["--threads", str(spec.threads)]


def dbt_vars_args(spec: RunSpec) -> list[str]:
    """Given to every step, not only the command: vars can change what parsing produces."""
    if spec.vars is None:
        return []
    return ["--vars", json.dumps(spec.vars, separators=(",", ":"))]
