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
    "dbt_vars_args",
    "parse_run_spec",
]

# A run id names the execution and the artifacts' folder: the same words as `retryOf`.
RUN_ID_PATTERN = re.compile(FIELDS["retryOf"]["pattern"])


@dataclass(frozen=True)
class RunSpec:
    job: str = "manual"
    command: str = "build"
    select: str | None = None
    exclude: str | None = None
    full_refresh: bool = False
    vars: dict[str, Any] | None = None
    freshness: str = "warn"
    docs: bool = True
    retry_of: str | None = None
    timeout_seconds: int | None = None
    _filled: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

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
        full_refresh=filled["fullRefresh"],
        vars=filled.get("vars"),
        freshness=filled["freshness"],
        docs=filled["docs"],
        retry_of=filled.get("retryOf"),
        timeout_seconds=filled.get("timeoutSeconds"),
        _filled=filled,
    )


def dbt_command_args(spec: RunSpec) -> list[str]:
    """The command's own argv for dbtRunner: one item per word, so nothing is ever re-split."""
    args = [spec.command]
    if spec.select is not None:
        args += ["--select", *selector_words(spec.select)]
    if spec.exclude is not None:
        args += ["--exclude", *selector_words(spec.exclude)]
    if spec.full_refresh:
        args.append("--full-refresh")
    return args


def dbt_vars_args(spec: RunSpec) -> list[str]:
    """Given to every step, not only the command: vars can change what parsing produces."""
    if spec.vars is None:
        return []
    return ["--vars", json.dumps(spec.vars, separators=(",", ":"))]
