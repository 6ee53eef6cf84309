"""The DAG's validator against the shared vectors (tests/fixtures/run-input-cases.json), and
against the container's validator that it copies: the two cannot drift apart unnoticed."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "airflow-compat" / "dags"))

from serverless_dbt_lib.run_input import InvalidRunInput, validate_run_input  # noqa: E402

CASES = json.loads((REPO / "tests" / "fixtures" / "run-input-cases.json").read_text())


def _container_run_spec() -> Any:
    spec = importlib.util.spec_from_file_location(
        "container_run_spec", REPO / "container" / "dbt_runner" / "run_spec.py"
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


CONTAINER = _container_run_spec()


@pytest.mark.parametrize("case", CASES["valid"], ids=lambda case: case["name"])
def test_a_valid_input_is_accepted_and_filled_as_the_vectors_say(case: dict[str, Any]) -> None:
    assert validate_run_input(case["input"]) == case["filled"]


@pytest.mark.parametrize("case", CASES["invalid"], ids=lambda case: case["name"])
def test_an_invalid_input_is_refused_naming_its_field(case: dict[str, Any]) -> None:
    with pytest.raises(InvalidRunInput) as refused:
        validate_run_input(case["input"])
    assert refused.value.field == case["field"]
    assert str(refused.value).startswith(f"{case['field']}: ")


@pytest.mark.parametrize("case", CASES["valid"] + CASES["invalid"], ids=lambda case: case["name"])
def test_the_copy_agrees_with_the_container_validator(case: dict[str, Any]) -> None:
    try:
        theirs: Any = CONTAINER.parse_run_spec(case["input"]).to_json_dict()
    except CONTAINER.InvalidRunInput as error:
        theirs = str(error)
    try:
        ours: Any = validate_run_input(case["input"])
    except InvalidRunInput as error:
        ours = str(error)
    assert ours == theirs


def test_the_copy_keeps_the_container_limits() -> None:
    from serverless_dbt_lib import run_input  # noqa: PLC0415

    for name in (
        "COMMANDS",
        "FRESHNESS_MODES",
        "MAX_INPUT_BYTES",
        "MAX_VARS_BYTES",
        "MAX_SELECTOR_CHARS",
        "MIN_TIMEOUT_SECONDS",
        "MAX_TIMEOUT_SECONDS",
        "DEFAULTS",
    ):
        assert getattr(run_input, name) == getattr(CONTAINER, name), name
    assert list(run_input.FIELD_CHECKS) == list(CONTAINER.FIELD_CHECKS)
    assert run_input.JOB_PATTERN.pattern == CONTAINER.JOB_PATTERN.pattern
    assert run_input.RUN_ID_PATTERN.pattern == CONTAINER.RUN_ID_PATTERN.pattern
    assert run_input.SELECTOR_WORD_CHARS.pattern == CONTAINER.SELECTOR_WORD_CHARS.pattern


def test_the_validator_needs_nothing_but_the_standard_library() -> None:
    source = (REPO / "airflow-compat" / "dags" / "serverless_dbt_lib" / "run_input.py").read_text()
    imports = {line.split()[1] for line in source.splitlines() if line.startswith(("import ", "from "))}
    assert imports <= {"__future__", "json", "re", "typing"}
