"""The run input's rules in Python: the container's re-check of RUN_SPEC and the Airflow DAG's
check of its params both run this module, byte for byte the same file in both places.

The rules are not written here. CONTRACT below is the table in
functions/shared/run-input-contract.ts, the run input's one source, as JSON; this module only
walks it the way functions/shared/run-input.ts does: the input's shape, unknown fields, then
field by field in the table's order its own rule and the rules tying it to `command`, then the
total size, naming the first problem in the table's own words. tests/fixtures/run-input-cases.json
holds both languages to the same fields and messages.

Generated: `npm run generate` writes CONTRACT and copies this file to
airflow-compat/dags/serverless_dbt_lib/run_input.py (MWAA loads a dags folder alone, so the DAG
cannot import the container's package); tests/scripts/generate-run-input.test.ts fails when either is stale.
Edit the container's copy, then run `npm run generate`. Standard library only.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# fmt: off
# BEGIN GENERATED CONTRACT (npm run generate): do not edit by hand.
CONTRACT: dict[str, Any] = json.loads(r"""
{
  "maxInputBytes": 4096,
  "messages": {
    "notAnObject": "must be a JSON object",
    "unknownField": "unknown field; the run input accepts only job, command, select, exclude, selector, fullRefresh, vars, freshness, docs, retryOf, timeoutSeconds, scheduledTime, threads, failFast, warnError, macro, args, allowEmpty, only",
    "tooLarge": "must be at most 4096 bytes as compact JSON (got {bytes})"
  },
  "fields": [
    {"name":"job","kind":"pattern","pattern":"^[A-Za-z0-9_-]{1,64}$","default":"manual","messages":{"type":"must be a string","pattern":"must be 1 to 64 characters of A-Z a-z 0-9 _ -"},"schema":{"type":"string","pattern":"^[A-Za-z0-9_-]{1,64}$","description":"name shown in alerts and history; picks the overlap lock (its own, or its lockGroup)","default":"manual"}},
    {"name":"command","kind":"enum","values":["build","run","test","seed","snapshot","retry","compile","ls","run-operation","source freshness"],"default":"build","messages":{"invalid":"must be one of build, run, test, seed, snapshot, retry, compile, ls, run-operation, source freshness"},"schema":{"type":"string","enum":["build","run","test","seed","snapshot","retry","compile","ls","run-operation","source freshness"],"description":"the dbt command; nothing else is accepted. source freshness alone fails on sources stale past error_after","default":"build"}},
    {"name":"select","kind":"selector","maxChars":1000,"wordChars":"A-Za-z0-9_.:+*@/,=-","messages":{"type":"must be a string of dbt selector words","empty":"must not be empty","tooLong":"must be at most 1000 characters (got {count})","badChar":"contains {char}, which is not allowed in a selector","blank":"must not be blank","flag":"word '{word}' starts with '-', which would act as a dbt flag"},"schema":{"type":"string","minLength":1,"maxLength":1000,"description":"the nodes to run; each word becomes its own argv item"}},
    {"name":"exclude","kind":"selector","maxChars":1000,"wordChars":"A-Za-z0-9_.:+*@/,=-","messages":{"type":"must be a string of dbt selector words","empty":"must not be empty","tooLong":"must be at most 1000 characters (got {count})","badChar":"contains {char}, which is not allowed in a selector","blank":"must not be blank","flag":"word '{word}' starts with '-', which would act as a dbt flag"},"schema":{"type":"string","minLength":1,"maxLength":1000,"description":"the nodes to leave out; each word its own argv item"}},
    {"name":"selector","kind":"pattern","pattern":"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$","messages":{"type":"must be a string","pattern":"must be a selector's name: 1 to 64 characters of A-Z a-z 0-9 _ -, not starting with '-'"},"schema":{"type":"string","pattern":"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$","description":"--selector: a selector defined in the project's selectors.yml"}},
    {"name":"fullRefresh","kind":"boolean","default":false,"messages":{"type":"must be true or false"},"schema":{"type":"boolean","description":"--full-refresh","default":false}},
    {"name":"vars","kind":"object","maxBytes":2048,"maxDepth":32,"messages":{"type":"must be a JSON object","notJson":"{path} is not a JSON value","tooDeep":"must be nested at most 32 objects and arrays deep (got {depth})","tooLarge":"must be at most 2048 bytes as compact JSON (got {bytes})"},"schema":{"type":"object","description":"--vars, given to every step (vars can change parsing)"}},
    {"name":"freshness","kind":"enum","values":["fail","warn","skip"],"default":"warn","messages":{"invalid":"must be one of fail, warn, skip"},"schema":{"type":"string","enum":["fail","warn","skip"],"description":"dbt source freshness first; fail stops the run on stale sources. Not used by commands that build nothing: compile ls run-operation source freshness","default":"warn"}},
    {"name":"docs","kind":"boolean","default":true,"messages":{"type":"must be true or false"},"schema":{"type":"boolean","description":"dbt docs generate after the command; never after ls run-operation source freshness","default":true}},
    {"name":"retryOf","kind":"pattern","pattern":"^[A-Za-z0-9_-]{1,80}$","messages":{"type":"must be a string","pattern":"must be a run id: 1 to 80 characters of A-Z a-z 0-9 _ -"},"schema":{"type":"string","pattern":"^[A-Za-z0-9_-]{1,80}$","description":"with command: retry, the earlier run whose failures to rerun"}},
    {"name":"timeoutSeconds","kind":"integer","minimum":60,"maximum":86400,"messages":{"type":"must be a whole number of seconds","minimum":"must be at least 60","maximum":"must be at most 86400"},"schema":{"type":"integer","minimum":60,"maximum":86400,"description":"the task's limit; past it the task is stopped"}},
    {"name":"scheduledTime","kind":"pattern","pattern":"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z$","messages":{"type":"must be a string","pattern":"must be a UTC time as YYYY-MM-DDThh:mm:ssZ, e.g. 2026-11-24T05:00:00Z"},"schema":{"type":"string","pattern":"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z$","description":"the run's scheduled time; the schedule fills it, backfill sets it. Becomes the dbt vars scheduled_time, run_date, data_interval_start, data_interval_end"}},
    {"name":"threads","kind":"integer","minimum":1,"maximum":64,"messages":{"type":"must be a whole number of threads","minimum":"must be at least 1","maximum":"must be at most 64"},"schema":{"type":"integer","minimum":1,"maximum":64,"description":"--threads for the freshness check, the command and docs generate"}},
    {"name":"failFast","kind":"boolean","default":false,"messages":{"type":"must be true or false"},"schema":{"type":"boolean","description":"--fail-fast: the command stops at its first failure","default":false}},
    {"name":"warnError","kind":"boolean","default":false,"messages":{"type":"must be true or false"},"schema":{"type":"boolean","description":"--warn-error: the command's warnings fail the run","default":false}},
    {"name":"macro","kind":"pattern","pattern":"^([A-Za-z_][A-Za-z0-9_]{0,63}\\.)?[A-Za-z_][A-Za-z0-9_]{0,63}$","messages":{"type":"must be a string","pattern":"must be a macro's name or package.macro: up to 64 characters of A-Z a-z 0-9 _ each, not starting with a digit"},"schema":{"type":"string","pattern":"^([A-Za-z_][A-Za-z0-9_]{0,63}\\.)?[A-Za-z_][A-Za-z0-9_]{0,63}$","description":"with command: run-operation, the macro to run"}},
    {"name":"args","kind":"object","maxBytes":2048,"maxDepth":32,"messages":{"type":"must be a JSON object","notJson":"{path} is not a JSON value","tooDeep":"must be nested at most 32 objects and arrays deep (got {depth})","tooLarge":"must be at most 2048 bytes as compact JSON (got {bytes})"},"schema":{"type":"object","description":"with command: run-operation, the macro's arguments (--args)"}},
    {"name":"allowEmpty","kind":"boolean","default":false,"messages":{"type":"must be true or false"},"schema":{"type":"boolean","description":"a selection that matches no node succeeds; otherwise the run fails with NOTHING_SELECTED (docs/verdicts.md)","default":false}},
    {"name":"only","kind":"pattern","pattern":"^changed$","messages":{"type":"must be a string","pattern":"must be changed; leave it out to build the whole selection"},"schema":{"type":"string","pattern":"^changed$","description":"with build or run: build only the nodes changed since the job's last successful run, and those downstream of sources with newer data (state:modified+ source_status:fresher+, --defer); nothing changed is a success (docs/run-input.md, \"State-aware runs\")"}}
  ],
  "rules": [
    {"field":"select","when":{"field":"command","is":"retry"},"expect":"absent","message":"not allowed with command retry, which reruns the earlier run's selection"},
    {"field":"select","when":{"field":"command","is":"run-operation"},"expect":"absent","message":"not allowed with command run-operation, which runs a macro, not a selection"},
    {"field":"exclude","when":{"field":"command","is":"retry"},"expect":"absent","message":"not allowed with command retry, which reruns the earlier run's selection"},
    {"field":"exclude","when":{"field":"command","is":"run-operation"},"expect":"absent","message":"not allowed with command run-operation, which runs a macro, not a selection"},
    {"field":"selector","when":{"field":"command","is":"retry"},"expect":"absent","message":"not allowed with command retry, which reruns the earlier run's selection"},
    {"field":"selector","when":{"field":"command","is":"run-operation"},"expect":"absent","message":"not allowed with command run-operation, which runs a macro, not a selection"},
    {"field":"selector","when":{"field":"select","given":true},"expect":"absent","message":"not allowed with select or exclude: dbt uses the selector and ignores them"},
    {"field":"selector","when":{"field":"exclude","given":true},"expect":"absent","message":"not allowed with select or exclude: dbt uses the selector and ignores them"},
    {"field":"fullRefresh","when":{"field":"command","is":"retry"},"expect":"notTrue","message":"not allowed with command retry, which reruns the earlier run's selection"},
    {"field":"fullRefresh","when":{"field":"command","in":["test","snapshot","ls","run-operation","source freshness"]},"expect":"notTrue","message":"not allowed with command test, snapshot, ls, run-operation, source freshness: dbt has no --full-refresh there"},
    {"field":"retryOf","when":{"field":"command","is":"retry"},"expect":"present","message":"is required with command retry: the id of the run to retry"},
    {"field":"retryOf","when":{"field":"command","isNot":"retry"},"expect":"absent","message":"is only allowed with command retry"},
    {"field":"threads","when":{"field":"command","is":"ls"},"expect":"absent","message":"not allowed with command ls, which runs no queries"},
    {"field":"failFast","when":{"field":"command","in":["ls","run-operation"]},"expect":"notTrue","message":"not allowed with command ls or run-operation, which run no nodes"},
    {"field":"macro","when":{"field":"command","is":"run-operation"},"expect":"present","message":"is required with command run-operation: the macro to run"},
    {"field":"macro","when":{"field":"command","isNot":"run-operation"},"expect":"absent","message":"is only allowed with command run-operation"},
    {"field":"args","when":{"field":"command","isNot":"run-operation"},"expect":"absent","message":"is only allowed with command run-operation"},
    {"field":"allowEmpty","when":{"field":"command","in":["retry","ls","run-operation","source freshness"]},"expect":"notTrue","message":"not allowed with command retry, ls, run-operation, source freshness: only a command that builds or checks a selection of nodes fails when it matches none"},
    {"field":"only","when":{"field":"command","in":["test","seed","snapshot","retry","compile","ls","run-operation","source freshness"]},"expect":"absent","message":"not allowed with command test, seed, snapshot, retry, compile, ls, run-operation, source freshness: only build and run compare with the job's last successful run"},
    {"field":"only","when":{"field":"selector","given":true},"expect":"absent","message":"not allowed with selector: dbt ignores --select next to --selector; give select instead"},
    {"field":"only","when":{"field":"freshness","is":"skip"},"expect":"absent","message":"not allowed with freshness skip: this run's freshness check tells which sources have new data"}
  ]
}
""")
# END GENERATED CONTRACT
# fmt: on

FIELDS: dict[str, dict[str, Any]] = {field["name"]: field for field in CONTRACT.get("fields", [])}
DEFAULTS: dict[str, Any] = {name: field["default"] for name, field in FIELDS.items() if "default" in field}


class InvalidRunInput(ValueError):
    """Named as the state machine's Catch and the TypeScript schema name it."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"{field_name}: {problem}")
        self.field = field_name


def _fill(template: str, **values: object) -> str:
    """The `{name}` placeholders of a message, as run-input-contract.ts's `fill` does."""
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m[1]]) if m[1] in values else m[0], template)


def compact_json_bytes(value: Any) -> int:
    """UTF-8 size of the compact JSON of a value, as JavaScript's JSON.stringify writes it."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def describe_char(char: str) -> str:
    code = ord(char)
    if 0x21 <= code <= 0x7E:
        return '"\'"' if char == "'" else f"'{char}'"
    name = {0x0A: "a newline", 0x0D: "a carriage return"}.get(code)
    hex_code = f"U+{code:04X}"
    return f"{name} ({hex_code})" if name else hex_code


def _is_string(value: Any) -> bool:
    return isinstance(value, str)


def _check_pattern(field: dict[str, Any], value: Any) -> str | None:
    if not _is_string(value):
        return field["messages"]["type"]
    return None if re.fullmatch(field["pattern"], value) else field["messages"]["pattern"]


def _check_enum(field: dict[str, Any], value: Any) -> str | None:
    return None if _is_string(value) and value in field["values"] else field["messages"]["invalid"]


def _check_boolean(field: dict[str, Any], value: Any) -> str | None:
    return None if isinstance(value, bool) else field["messages"]["type"]


def selector_problem(field: dict[str, Any], value: str) -> str | None:
    messages = field["messages"]
    if not value:
        return messages["empty"]
    if len(value) > field["maxChars"]:
        return _fill(messages["tooLong"], count=len(value))
    word_char = re.compile(f"[{field['wordChars']}]")
    for char in value:
        if char not in (" ", "\t") and not word_char.fullmatch(char):
            return _fill(messages["badChar"], char=describe_char(char))
    words = value.replace("\t", " ").split(" ")
    words = [word for word in words if word]
    if not words:
        return messages["blank"]
    for word in words:
        if word.startswith("-"):
            return _fill(messages["flag"], word=word[:40])
    return None


def _check_selector(field: dict[str, Any], value: Any) -> str | None:
    if not _is_string(value):
        return field["messages"]["type"]
    return selector_problem(field, value)


def _non_json_path(value: Any, root: str) -> str | None:
    """Where the first number JavaScript could not hold sits (NaN, Infinity), or None."""
    stack: list[tuple[Any, str]] = [(value, root)]
    while stack:
        current, path = stack.pop()
        if isinstance(current, float) and not math.isfinite(current):
            return path
        if isinstance(current, list):
            stack.extend((item, f"{path}.{index}") for index, item in reversed(list(enumerate(current))))
        elif isinstance(current, dict):
            stack.extend((item, f"{path}.{key}") for key, item in reversed(list(current.items())))
    return None


def _depth_of(value: Any) -> int:
    """How many objects and arrays deep a JSON value is (the value itself the first)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict):
            children = list(current.values())
        elif isinstance(current, list):
            children = current
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _check_object(field: dict[str, Any], value: Any) -> str | None:
    messages = field["messages"]
    if not isinstance(value, dict):
        return messages["type"]
    where = _non_json_path(value, field["name"])
    if where is not None:
        return _fill(messages["notJson"], path=where)
    depth = _depth_of(value)
    if depth > field["maxDepth"]:
        return _fill(messages["tooDeep"], depth=depth)
    size = compact_json_bytes(value)
    return _fill(messages["tooLarge"], bytes=size) if size > field["maxBytes"] else None


def _check_integer(field: dict[str, Any], value: Any) -> str | None:
    messages = field["messages"]
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON has one number type: 600.0 is 600 to JavaScript too.
    # JavaScript holds whole numbers exactly only up to 2**53 - 1, and zod's int() stops there.
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 2**53 - 1:
        return messages["type"]
    if value < field["minimum"]:
        return messages["minimum"]
    if value > field["maximum"]:
        return messages["maximum"]
    return None


_CHECKS = {
    "pattern": _check_pattern,
    "enum": _check_enum,
    "selector": _check_selector,
    "boolean": _check_boolean,
    "object": _check_object,
    "integer": _check_integer,
}


def _breaks(rule: dict[str, Any], raw: dict[str, Any]) -> bool:
    when = rule["when"]
    other = raw.get(when["field"])
    if when.get("given"):
        applies = when["field"] in raw
    elif "in" in when:
        applies = other in when["in"]
    else:
        applies = other == when["is"] if "is" in when else other != when["isNot"]
    if not applies:
        return False
    if rule["expect"] == "absent":
        return rule["field"] in raw
    if rule["expect"] == "present":
        return rule["field"] not in raw
    return raw.get(rule["field"]) is True


def first_problem(raw: Any) -> tuple[str, str] | None:
    """The first problem of a run input as (field, problem), in the contract's order."""
    messages = CONTRACT["messages"]
    if not isinstance(raw, dict):
        return ("input", messages["notAnObject"])
    for name in raw:
        if name not in FIELDS:
            return (str(name), messages["unknownField"])
    for name, field in FIELDS.items():
        if name in raw:
            problem = _CHECKS[field["kind"]](field, raw[name])
            if problem is not None:
                return (name, problem)
        for rule in CONTRACT["rules"]:
            if rule["field"] == name and _breaks(rule, raw):
                return (name, rule["message"])
    size = compact_json_bytes(raw)
    if size > CONTRACT["maxInputBytes"]:
        return ("input", _fill(messages["tooLarge"], bytes=size))
    return None


def validate_run_input(raw: Any) -> dict[str, Any]:
    """The run input with its defaults filled, as the state machine receives it.

    :raises InvalidRunInput: naming the first wrong field, in the contract's order.
    """
    problem = first_problem(raw)
    if problem is not None:
        raise InvalidRunInput(*problem)
    filled = {**DEFAULTS, **raw}
    for name in ("timeoutSeconds", "threads"):
        if name in filled:
            filled[name] = int(filled[name])
    return {name: filled[name] for name in FIELDS if name in filled}


def selector_words(value: str) -> list[str]:
    """A checked selector's words, each its own argv item: nothing is ever re-split."""
    return [word for word in value.replace("\t", " ").split(" ") if word]


def param_schema(name: str) -> dict[str, Any]:
    """The field's JSON Schema (type, limits, description, default): what a form shows."""
    return dict(FIELDS[name]["schema"])
