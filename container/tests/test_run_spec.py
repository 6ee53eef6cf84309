"""The container's own check of RUN_SPEC agrees with the shared vectors every validator of
the run input is held to, and builds dbt's argv one word per item."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from dbt_runner.config import read_run_spec
from dbt_runner.run_spec import (
    InvalidRunInput,
    dbt_command_args,
    dbt_threads_args,
    dbt_vars_args,
    parse_run_spec,
)

CASES = json.loads(
    (Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "run-input-cases.json").read_text()
)


@pytest.mark.parametrize("case", CASES["valid"], ids=lambda case: case["name"])
def test_accepts_valid_input_and_fills_defaults(case: dict[str, Any]) -> None:
    assert parse_run_spec(case["input"]).to_json_dict() == case["filled"]


@pytest.mark.parametrize("case", CASES["invalid"], ids=lambda case: case["name"])
def test_refuses_invalid_input_naming_the_field_in_the_contracts_words(case: dict[str, Any]) -> None:
    with pytest.raises(InvalidRunInput) as raised:
        parse_run_spec(case["input"])
    assert raised.value.field == case["field"]
    assert str(raised.value) == f"{case['field']}: {case['message']}"


def test_message_names_the_offending_character() -> None:
    with pytest.raises(InvalidRunInput, match="contains ';'"):
        parse_run_spec({"select": "orders;id"})


def test_argv_keeps_each_selector_word_as_its_own_item() -> None:
    spec = parse_run_spec(
        {
            "command": "run",
            "select": "+orders  tag:daily",
            "exclude": "stg_products",
            "fullRefresh": True,
            "vars": {"day": "2026-11-24"},
        }
    )
    assert dbt_command_args(spec) == [
        "run", "--select", "+orders", "tag:daily", "--exclude", "stg_products", "--full-refresh",
    ]  # fmt: skip
    assert dbt_vars_args(spec) == ["--vars", '{"day":"2026-11-24"}']


def test_argv_for_the_default_job_is_just_the_command() -> None:
    assert dbt_command_args(parse_run_spec({})) == ["build"]
    assert dbt_vars_args(parse_run_spec({})) == []


def test_argv_gives_a_selector_threads_fail_fast_and_warn_error_as_their_own_items() -> None:
    spec = parse_run_spec(
        {"command": "build", "selector": "nightly", "threads": 8, "failFast": True, "warnError": True}
    )
    assert dbt_command_args(spec) == [
        "build", "--selector", "nightly", "--fail-fast", "--warn-error", "--threads", "8",
    ]  # fmt: skip
    assert dbt_threads_args(spec) == ["--threads", "8"]


def test_argv_of_source_freshness_is_dbts_two_words() -> None:
    spec = parse_run_spec({"command": "source freshness", "select": "source:raw.orders"})
    assert dbt_command_args(spec) == ["source", "freshness", "--select", "source:raw.orders"]


def test_argv_of_run_operation_names_the_macro_then_its_args_as_one_json_item() -> None:
    spec = parse_run_spec(
        {"command": "run-operation", "macro": "drop_schema_by_name", "args": {"schema_name": "pr 42; drop"}}
    )
    # The args stay one argv item whatever they hold: dbt reads them as YAML, never a shell.
    assert dbt_command_args(spec) == [
        "run-operation",
        "drop_schema_by_name",
        "--args",
        '{"schema_name":"pr 42; drop"}',
    ]


def test_argv_of_ls_and_compile_carry_the_selection() -> None:
    assert dbt_command_args(parse_run_spec({"command": "ls", "select": "+orders"})) == [
        "ls",
        "--select",
        "+orders",
    ]
    compile_spec = parse_run_spec({"command": "compile", "exclude": "orders", "fullRefresh": True})
    assert dbt_command_args(compile_spec) == [
        "compile", "--exclude", "orders", "--full-refresh",
    ]  # fmt: skip


def test_without_threads_every_step_keeps_the_profiles() -> None:
    assert dbt_threads_args(parse_run_spec({})) == []


def test_freshness_mode_source_freshness_alone_always_checks_and_commands_that_build_nothing_never() -> None:
    assert parse_run_spec({"command": "source freshness", "freshness": "warn"}).freshness_mode == "fail"
    for command in ("compile", "ls"):
        assert parse_run_spec({"command": command, "freshness": "fail"}).freshness_mode == "skip"
    assert parse_run_spec({"command": "run-operation", "macro": "m"}).freshness_mode == "skip"
    assert parse_run_spec({"command": "run", "freshness": "fail"}).freshness_mode == "fail"


def test_run_spec_that_is_not_json_names_the_input() -> None:
    with pytest.raises(InvalidRunInput, match=r"^input: RUN_SPEC is not JSON"):
        read_run_spec('{"command": "build"')


def test_absurdly_nested_vars_are_refused_not_a_crash() -> None:
    nested = '{"vars": {"a": ' + "[" * 100_000 + "]" * 100_000 + "}}"

    with pytest.raises(InvalidRunInput, match=r"^input: "):
        read_run_spec(nested)
