"""The DAG's decisions that need no Airflow: execution names, the wait, reading outcomes,
the run input from params and conf, and the settings."""

from __future__ import annotations

import hashlib
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dags"))

from serverless_dbt_lib import execution
from serverless_dbt_lib.execution import (
    SETTINGS,
    SettingError,
    execution_arn,
    execution_name,
    input_from_params,
    outcome_of,
    plan_run,
    wait_seconds,
    waiter_attempts,
)
from serverless_dbt_lib.run_input import InvalidRunInput, validate_run_input

RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")  # Prepare's rule for an execution's name
MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:serverless-dbt-live-dbt-run"


@pytest.mark.parametrize(
    "run_id",
    [
        "manual__2026-11-24T22:30:00.123456+00:00",
        "scheduled__2026-11-24T06:00:00+00:00",
        "asset_triggered__2026-11-24T06:00:00+00:00",
        "a" * 250,  # Airflow allows 250 characters
        "plain_run-1",
        "über: (x)",
    ],
)
def test_execution_names_are_valid_run_ids_for_prepare(run_id: str) -> None:
    name = execution_name("serverless_dbt", run_id)
    assert RUN_ID.fullmatch(name), name
    assert name.startswith("airflow-serverless_dbt-")  # Prepare: trigger airflow


def test_the_name_is_stable_for_one_airflow_run() -> None:
    run_id = "manual__2026-11-24T22:30:00.123456+00:00"
    digest = hashlib.sha256(f"airflow-serverless_dbt-{run_id}".encode()).hexdigest()[:10]
    expected = f"airflow-serverless_dbt-manual__2026-11-24T22-30-00-123456-00-00-{digest}"
    assert execution_name("serverless_dbt", run_id) == expected
    assert execution_name("serverless_dbt", run_id) == expected  # a retry: the same name


def test_a_name_that_needs_no_change_is_kept_as_is() -> None:
    assert execution_name("serverless_dbt", "nightly-1") == "airflow-serverless_dbt-nightly-1"


def test_run_ids_differing_only_in_what_is_replaced_get_different_names() -> None:
    assert execution_name("d", "run:1") != execution_name("d", "run.1")
    assert execution_name("d", "run:1") != execution_name("d", "run-1")


def test_long_run_ids_that_share_their_start_get_different_names() -> None:
    first = execution_name("serverless_dbt", "x" * 100 + "1")
    second = execution_name("serverless_dbt", "x" * 100 + "2")
    assert first != second
    assert len(first) == len(second) == 80


def test_the_execution_arn_of_a_name() -> None:
    assert execution_arn(MACHINE, "airflow-x") == (
        "arn:aws:states:eu-west-1:123456789012:execution:serverless-dbt-live-dbt-run:airflow-x"
    )
    with pytest.raises(ValueError, match="not a state machine ARN"):
        execution_arn("arn:aws:lambda:eu-west-1:123456789012:function:x", "n")


def test_the_wait_covers_every_attempt_of_the_run_as_the_lock_does() -> None:
    # MAX_ATTEMPTS x (limit + 600 s) + 300 s (functions/prepare/lock-rules.ts).
    assert wait_seconds(3600) == 2 * (3600 + 600) + 300
    assert wait_seconds(14400) == 2 * (14400 + 600) + 300
    # The state machine's own limit is sized for the longest run's every attempt, so even
    # that wait stays within it (plus the margin to read the outcome).
    assert wait_seconds(86400) == 2 * (86400 + 600) + 300
    assert wait_seconds(86400) <= execution.STATE_MACHINE_TIMEOUT_SECONDS + 300
    for total, delay in [(8700, 60), (8700, 7), (60, 3600), (90300, 60)]:
        attempts = waiter_attempts(total, delay)
        # The first poll is at once: the delays between the polls span the whole wait.
        assert (attempts - 1) * delay >= total
        assert (attempts - 2) * delay < total


def test_the_providers_default_wait_would_give_up_too_early() -> None:
    # 30 polls x 60 s: the operator's defaults stop after 30 minutes while the run goes on.
    assert wait_seconds(3600) > 30 * 60


def test_a_succeeded_execution_reports_the_verdict_and_reason_of_its_output() -> None:
    output = {
        "runId": "r",
        "job": "daily",
        "verdict": "SUCCEEDED",
        "reason": "dbt build succeeded.",
        "hint": None,
        "exitCode": 0,
        "counts": {"success": 1},
        "artifactsUri": "s3://b/runs/r/",
    }
    outcome = outcome_of({"status": "SUCCEEDED", "output": json.dumps(output)})
    assert outcome.succeeded
    assert (outcome.verdict, outcome.reason, outcome.output) == ("SUCCEEDED", "dbt build succeeded.", output)
    assert outcome.summary("r") == "serverless-dbt run r: SUCCEEDED, verdict SUCCEEDED: dbt build succeeded."


@pytest.mark.parametrize(
    ("described", "verdict", "reason"),
    [
        (
            {"status": "FAILED", "error": "OUT_OF_MEMORY", "cause": "dbt ran out of memory."},
            "OUT_OF_MEMORY",
            "dbt ran out of memory.",
        ),
        (
            # A selection that matched no node fails the task like any other verdict but success.
            {
                "status": "FAILED",
                "error": "NOTHING_SELECTED",
                "cause": "The run's selection matched no node, so dbt ran nothing (exit 7): "
                "build: the selection matched no node (--select ordrs).",
            },
            "NOTHING_SELECTED",
            "The run's selection matched no node, so dbt ran nothing (exit 7): "
            "build: the selection matched no node (--select ordrs).",
        ),
        ({"status": "FAILED"}, "FAILED", "the execution failed without a cause; see its history"),
        (
            {"status": "TIMED_OUT", "error": "States.Timeout"},
            "States.Timeout",
            "the state machine's own time limit ended the execution",
        ),
        ({"status": "ABORTED"}, "ABORTED", "the execution was stopped in Step Functions"),
    ],
)
def test_an_execution_that_did_not_succeed_reports_its_error_and_cause(
    described: dict, verdict: str, reason: str
) -> None:
    outcome = outcome_of(described)
    assert not outcome.succeeded
    assert (outcome.verdict, outcome.reason) == (verdict, reason)


def test_empty_form_fields_are_not_set_but_conf_mistakes_reach_the_validator() -> None:
    form = {
        "job": "manual",
        "command": "build",
        "select": None,
        "exclude": None,
        "fullRefresh": False,
        "vars": None,
        "freshness": "warn",
        "docs": True,
        "retryOf": None,
        "timeoutSeconds": None,
    }
    assert validate_run_input(input_from_params(form, {})) == validate_run_input({})
    # An unknown key of the conf, and null for a field with a default, are refused by name.
    for conf, field in [({"commnd": "run"}, "commnd"), ({"job": None}, "job")]:
        with pytest.raises(InvalidRunInput) as refused:
            validate_run_input(input_from_params({**form, **conf}, conf))
        assert refused.value.field == field


def _settings(**values: str | None):
    merged = {**SETTINGS, "serverless_dbt_state_machine_arn": MACHINE, **values}
    return merged.get


def test_the_plan_holds_the_input_the_name_and_a_wait_for_the_runs_limit() -> None:
    run_id = "manual__2026-11-24T22:30:00+00:00"
    plan = plan_run(validate_run_input({"timeoutSeconds": 7200}), "serverless_dbt", run_id, _settings())
    assert plan["name"] == execution_name("serverless_dbt", run_id)
    assert plan["executionArn"] == execution_arn(MACHINE, plan["name"])
    assert plan["waitSeconds"] == wait_seconds(7200)
    assert plan["pollSeconds"] * (plan["waiterAttempts"] - 1) >= plan["waitSeconds"]
    assert plan["awsConnId"] == "aws_default"
    json.dumps(plan)  # XCom


def test_without_a_limit_in_the_input_the_wait_follows_the_stage_default_setting() -> None:
    plan = plan_run(
        validate_run_input({}), "d", "r", _settings(serverless_dbt_default_timeout_seconds="7200")
    )
    assert "timeoutSeconds" not in plan["input"]  # the stage's own default applies in AWS
    assert plan["waitSeconds"] == wait_seconds(7200)


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"serverless_dbt_state_machine_arn": None}, "serverless_dbt_state_machine_arn"),
        ({"serverless_dbt_state_machine_arn": "arn:aws:lambda:x"}, "serverless_dbt_state_machine_arn"),
        ({"serverless_dbt_default_timeout_seconds": "1h"}, "serverless_dbt_default_timeout_seconds"),
        ({"serverless_dbt_poll_seconds": "0"}, "serverless_dbt_poll_seconds"),
    ],
)
def test_a_missing_or_wrong_setting_is_refused_by_name(values: dict, named: str) -> None:
    with pytest.raises(SettingError, match=named):
        plan_run(validate_run_input({}), "d", "r", _settings(**values))


@pytest.mark.parametrize(
    ("constant", "source"),
    [
        ("MAX_ATTEMPTS", "functions/shared/contracts.ts"),
        ("ATTEMPT_MARGIN_SECONDS", "functions/prepare/lock-rules.ts"),
        ("RUN_MARGIN_SECONDS", "functions/prepare/lock-rules.ts"),
    ],
)
def test_the_wait_uses_the_state_machines_own_numbers(constant: str, source: str) -> None:
    text = (Path(__file__).resolve().parents[2] / source).read_text()
    found = re.search(rf"export const {constant} = (\d+);", text)
    assert found, f"{constant} is no longer defined in {source}"
    assert int(found.group(1)) == getattr(execution, constant)


def test_the_wait_ends_with_the_state_machines_own_limit() -> None:
    definition = (Path(__file__).resolve().parents[2] / "state-machines" / "dbt-run.asl.yml").read_text()
    found = re.search(r"^TimeoutSeconds: (\d+)$", definition, re.MULTILINE)
    assert found, "the state machine has no TimeoutSeconds any more"
    assert int(found.group(1)) == execution.STATE_MACHINE_TIMEOUT_SECONDS


def test_an_executions_age_comes_from_its_start_date() -> None:
    started = datetime(2026, 12, 2, 6, 0, 0, tzinfo=UTC)
    assert execution.execution_age_seconds({"startDate": started}, started + timedelta(seconds=90.9)) == 90
    assert execution.execution_age_seconds({}, started) == 0


@pytest.mark.parametrize(
    ("partition", "domain"),
    [("aws", "console.aws.amazon.com"), ("aws-cn", "console.amazonaws.cn")],
)
def test_the_console_link_is_the_executions_page_in_its_region(partition: str, domain: str) -> None:
    arn = f"arn:{partition}:states:eu-west-1:123456789012:execution:serverless-dbt-live-dbt-run:run-1"
    assert execution.console_url(arn) == (
        f"https://eu-west-1.{domain}/states/home?region=eu-west-1#/v2/executions/details/{arn}"
    )


def test_a_run_that_outlived_its_wait_is_named_with_how_to_follow_it() -> None:
    settings = {**SETTINGS, "serverless_dbt_state_machine_arn": MACHINE}
    plan = plan_run(validate_run_input({}), "serverless_dbt", "manual__1", settings.get)
    text = execution.outlived_wait(plan, "RUNNING", 9001)
    assert text.startswith(
        f"serverless-dbt run {plan['name']} is still RUNNING after 9001 s, longer than the 8700 s"
    )
    assert f"`aws stepfunctions describe-execution --execution-arn {plan['executionArn']}`" in text
    assert execution.console_url(plan["executionArn"]) in text
    # With no limit of its own, the run's limit is the stage's: the setting may be too low.
    assert "raise the setting to match" in text
    limited = plan_run(
        validate_run_input({"timeoutSeconds": 600}), "serverless_dbt", "manual__1", settings.get
    )
    assert "raise the setting" not in execution.outlived_wait(limited, "RUNNING", 9001)
    early = execution.stopped_early(plan, "RUNNING", 10, "Trigger failure")
    assert "the wait stopped (Trigger failure); a retry of this task follows the same execution" in early
