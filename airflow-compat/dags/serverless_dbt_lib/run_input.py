"""The run input (docs/run-input.md), validated in Airflow before any AWS call.

A copy of the rules in container/dbt_runner/run_spec.py (which Prepare's TypeScript schema
also follows): the DAG is deployed alone to a dags folder and cannot import the container's
package. airflow-compat/tests/test_run_input.py holds this file and the container's to the same
vectors, tests/fixtures/run-input-cases.json, so the copies cannot drift apart unnoticed.
Standard library only: nothing here needs Airflow.
"""

from __future__ import annotations

import json
import re
from typing import Any

COMMANDS = ("build", "run", "test", "seed", "snapshot", "retry")
FRESHNESS_MODES = ("fail", "warn", "skip")
MAX_INPUT_BYTES = 4096  # ECS allows 8192 characters for all container overrides together.
MAX_VARS_BYTES = 2048
MAX_SELECTOR_CHARS = 1000
MIN_TIMEOUT_SECONDS = 60
MAX_TIMEOUT_SECONDS = 86400

JOB_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
RUN_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,80}")
SELECTOR_WORD_CHARS = re.compile(r"[A-Za-z0-9_.:+*@/,=-]")
SELECTOR_SEPARATORS = (" ", "\t")


class InvalidRunInput(ValueError):
    """Named as the state machine's Catch and the TypeScript schema name it."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"{field_name}: {problem}")
        self.field = field_name


def compact_json_bytes(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _require_string(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidRunInput(name, f"expected a string, got {_describe(value)}")
    return value


def _require_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidRunInput(name, f"expected true or false, got {_describe(value)}")
    return value


def _require_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    text = _require_string(name, value)
    if text not in choices:
        raise InvalidRunInput(name, f"must be one of {', '.join(choices)}, got {text[:40]!r}")
    return text


def selector_words(name: str, value: Any) -> list[str]:
    """Split a selector into dbt words, refusing anything a shell or dbt's option parser would
    read as more than a selector word."""
    text = _require_string(name, value)
    if len(text) > MAX_SELECTOR_CHARS:
        raise InvalidRunInput(name, f"is {len(text)} characters, at most {MAX_SELECTOR_CHARS}")
    for char in text:
        if char not in SELECTOR_SEPARATORS and not SELECTOR_WORD_CHARS.fullmatch(char):
            raise InvalidRunInput(name, f"contains {char!r}, which is not allowed in a selector")
    words = text.replace("\t", " ").split()
    if not words:
        raise InvalidRunInput(name, "must name at least one selector word")
    for word in words:
        if word.startswith("-"):
            raise InvalidRunInput(name, f"word {word[:40]!r} starts with '-' and would act as a flag")
    return words


def _matching(name: str, pattern: re.Pattern[str], problem: str) -> Any:
    def check(value: Any) -> str:
        text = _require_string(name, value)
        if not pattern.fullmatch(text):
            raise InvalidRunInput(name, problem)
        return text

    return check


def _selector(name: str) -> Any:
    def check(value: Any) -> str:
        selector_words(name, value)
        return value

    return check


def _vars(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidRunInput("vars", f"expected a JSON object, got {_describe(value)}")
    size = compact_json_bytes(value)
    if size > MAX_VARS_BYTES:
        raise InvalidRunInput("vars", f"is {size} bytes as JSON, at most {MAX_VARS_BYTES}")
    return value


def _timeout_seconds(value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        # JSON has one number type: 600.0 is 600 to JavaScript, and to Prepare's schema.
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRunInput("timeoutSeconds", f"expected a whole number, got {_describe(value)}")
    if not MIN_TIMEOUT_SECONDS <= value <= MAX_TIMEOUT_SECONDS:
        raise InvalidRunInput(
            "timeoutSeconds", f"must be between {MIN_TIMEOUT_SECONDS} and {MAX_TIMEOUT_SECONDS}, got {value}"
        )
    return value


# In the order every validator of the run input checks: when several fields are wrong, the
# first of them is the one reported.
FIELD_CHECKS: dict[str, Any] = {
    "job": _matching("job", JOB_PATTERN, "must be 1 to 64 letters, digits, '_' or '-'"),
    "command": lambda value: _require_choice("command", value, COMMANDS),
    "select": _selector("select"),
    "exclude": _selector("exclude"),
    "fullRefresh": lambda value: _require_bool("fullRefresh", value),
    "vars": _vars,
    "freshness": lambda value: _require_choice("freshness", value, FRESHNESS_MODES),
    "docs": lambda value: _require_bool("docs", value),
    "retryOf": _matching("retryOf", RUN_ID_PATTERN, "must be a run id: 1 to 80 letters, digits, '_' or '-'"),
    "timeoutSeconds": _timeout_seconds,
}
DEFAULTS = {"job": "manual", "command": "build", "fullRefresh": False, "freshness": "warn", "docs": True}


def _check_retry_rules(raw: dict[str, Any], command: str) -> None:
    if command != "retry":
        if "retryOf" in raw:
            raise InvalidRunInput("retryOf", "is only allowed with command retry")
        return
    if "retryOf" not in raw:
        raise InvalidRunInput("retryOf", "is required with command retry")
    # dbt retry reruns the earlier run's own selection; a new one would be silently ignored.
    for name in ("select", "exclude"):
        if name in raw:
            raise InvalidRunInput(name, "is not allowed with command retry")
    if raw.get("fullRefresh") is True:
        raise InvalidRunInput("fullRefresh", "is not allowed with command retry")


def validate_run_input(raw: Any) -> dict[str, Any]:
    """The run input with its defaults filled, as the state machine receives it.

    :raises InvalidRunInput: naming the first wrong field, in the table's order.
    """
    if not isinstance(raw, dict):
        raise InvalidRunInput("input", f"expected a JSON object, got {_describe(raw)}")
    for name in raw:
        if name not in FIELD_CHECKS:
            raise InvalidRunInput(str(name), "unknown field")
    filled: dict[str, Any] = dict(DEFAULTS)
    for name, check in FIELD_CHECKS.items():
        if name == "retryOf":
            _check_retry_rules(raw, filled["command"])
        if name in raw:
            filled[name] = check(raw[name])
    size = compact_json_bytes(raw)
    if size > MAX_INPUT_BYTES:
        raise InvalidRunInput("input", f"is {size} bytes as JSON, at most {MAX_INPUT_BYTES}")
    return filled
