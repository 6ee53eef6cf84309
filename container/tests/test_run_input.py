"""The contract's JSON Schema (contracts/run-input.schema.json) against the shared vectors: it
accepts every valid input, and refuses every invalid one whose problem a schema can state. The
validators' own agreement with the vectors is test_run_spec.py's (and the DAG's tests')."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from dbt_runner.run_input import CONTRACT, FIELDS
from jsonschema import Draft202012Validator

REPO = Path(__file__).resolve().parents[2]
CASES = json.loads((REPO / "tests" / "fixtures" / "run-input-cases.json").read_text())
SCHEMA = json.loads((REPO / "contracts" / "run-input.schema.json").read_text())
VALIDATOR = Draft202012Validator(SCHEMA)

# What only the validators check: a schema's pattern could refuse these, but not name the
# character or the word, and it cannot count bytes.
VALIDATOR_ONLY = [
    *(
        FIELDS[name]["messages"][key]
        for name in ("select", "exclude")
        for key in ("badChar", "blank", "flag")
    ),
    *(FIELDS["vars"]["messages"][key] for key in ("notJson", "tooDeep", "tooLarge")),
    CONTRACT["messages"]["tooLarge"],
]


def _matches(template: str, message: str) -> bool:
    pattern = "".join(
        ".*" if part.startswith("{") else re.escape(part) for part in re.split(r"(\{\w+\})", template)
    )
    return re.fullmatch(pattern, message) is not None


def _validator_only(case: dict[str, Any]) -> bool:
    return any(_matches(template, case["message"]) for template in VALIDATOR_ONLY)


STATED = [case for case in CASES["invalid"] if not _validator_only(case)]


def test_the_schema_is_valid_json_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("case", CASES["valid"], ids=lambda case: case["name"])
def test_the_schema_accepts_every_valid_input(case: dict[str, Any]) -> None:
    assert list(VALIDATOR.iter_errors(case["input"])) == []


@pytest.mark.parametrize("case", STATED, ids=lambda case: case["name"])
def test_the_schema_refuses_an_invalid_input_it_can_state(case: dict[str, Any]) -> None:
    assert list(VALIDATOR.iter_errors(case["input"])) != []


def test_what_the_schema_leaves_to_the_validators_is_only_selector_words_and_sizes() -> None:
    left = {case["name"] for case in CASES["invalid"] if _validator_only(case)}
    assert left
    assert len(STATED) > len(left)
    for case in CASES["invalid"]:
        if case["name"] in left:
            assert case["field"] in ("select", "exclude", "vars", "args", "input"), case["name"]
