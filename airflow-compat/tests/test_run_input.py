"""The DAG's validator against the shared vectors (tests/fixtures/run-input-cases.json), and the
params its trigger form shows against the contract's JSON Schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "airflow-compat" / "dags"))

from serverless_dbt_lib.run_input import InvalidRunInput, validate_run_input  # noqa: E402

CASES = json.loads((REPO / "tests" / "fixtures" / "run-input-cases.json").read_text())
VALIDATOR = REPO / "airflow-compat" / "dags" / "serverless_dbt_lib" / "run_input.py"


@pytest.mark.parametrize("case", CASES["valid"], ids=lambda case: case["name"])
def test_a_valid_input_is_accepted_and_filled_as_the_vectors_say(case: dict[str, Any]) -> None:
    assert validate_run_input(case["input"]) == case["filled"]


@pytest.mark.parametrize("case", CASES["invalid"], ids=lambda case: case["name"])
def test_an_invalid_input_is_refused_naming_its_field_in_the_contracts_words(case: dict[str, Any]) -> None:
    with pytest.raises(InvalidRunInput) as refused:
        validate_run_input(case["input"])
    assert refused.value.field == case["field"]
    assert str(refused.value) == f"{case['field']}: {case['message']}"


def test_the_validator_is_the_containers_byte_for_byte() -> None:
    # MWAA ships the dags folder alone, so the DAG carries a generated copy (npm run generate).
    assert VALIDATOR.read_bytes() == (REPO / "container" / "dbt_runner" / "run_input.py").read_bytes()


def test_the_validator_needs_nothing_but_the_standard_library() -> None:
    source = VALIDATOR.read_text()
    imports = {line.split()[1] for line in source.splitlines() if line.startswith(("import ", "from "))}
    assert imports <= {"__future__", "json", "math", "re", "typing"}
