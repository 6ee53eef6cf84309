"""The operator's answer when Airflow resumes it to fail: its trigger raised, or its deferral
timed out. The real triggerer does this (Trigger.submit_failure); here the operator is called
as Airflow's task runner calls it, against moto's executions."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from typing import Any

import pytest
from conftest import DAGS, FAILURE, FAKE_CREDENTIALS, REGION, SUCCESS_OUTPUT, Moto

# Airflow reads its home when imported: a throwaway one, never the user's ~/airflow.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="airflow-home-"))
sys.path.insert(0, str(DAGS))
from airflow.providers.amazon.aws.sensors.step_function import StepFunctionExecutionSensor
from serverless_dbt_lib.execution import SETTINGS, plan_run
from serverless_dbt_lib.operators import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    DbtRunSensor,
    StartDbtRunOperator,
)
from serverless_dbt_lib.run_input import validate_run_input

TRIGGER_TRACEBACK = [
    "Traceback (most recent call last):\n",
    '  File "triggers/base.py", line 152, in run\n',
    "airflow.exceptions.AirflowException: Waiter error: max attempts reached\n",
]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, moto: Moto) -> None:
    # No Airflow connection: the hook takes boto3's own settings.
    for name, value in {
        **FAKE_CREDENTIALS,
        "AWS_ENDPOINT_URL": moto.endpoint,
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)


def _operator(moto: Moto, machine: str, run_id: str, **plan_changes: Any) -> StartDbtRunOperator:
    settings = {**SETTINGS, "serverless_dbt_state_machine_arn": moto.arns[machine]}
    plan = plan_run(validate_run_input({"command": "run"}), "serverless_dbt", run_id, settings.get)
    plan.update(awsConnId=None, region=REGION, **plan_changes)
    moto.client().start_execution(stateMachineArn=moto.arns[machine], name=plan["name"], input="{}")
    return StartDbtRunOperator(task_id="start_execution", run=plan, aws_conn_id=None, deferrable=True)


def _ended(moto: Moto, operator: StartDbtRunOperator) -> None:
    deadline = time.monotonic() + 30
    while moto.client().describe_execution(executionArn=operator.run["executionArn"])["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the stand-in execution did not end"
        time.sleep(0.5)


def _fail(operator: StartDbtRunOperator, error: str = "Trigger failure") -> Any:
    return operator.resume_execution("__fail__", {"error": error, "traceback": TRIGGER_TRACEBACK}, {})


def test_a_trigger_that_raised_on_a_failed_execution_fails_with_its_verdict(aws: None, moto: Moto) -> None:
    operator = _operator(moto, "fails", "resume-fails")
    _ended(moto, operator)
    with pytest.raises(AirflowFailException, match=f"verdict {FAILURE['Error']}: {FAILURE['Cause']}"):
        _fail(operator)


def test_a_trigger_that_raised_on_a_succeeded_execution_returns_its_output(aws: None, moto: Moto) -> None:
    operator = _operator(moto, "succeeds", "resume-succeeds")
    _ended(moto, operator)
    assert _fail(operator) == SUCCESS_OUTPUT


@pytest.mark.parametrize("error", ["Trigger failure", "Trigger/execution timeout"])
def test_a_wait_that_stopped_before_the_run_could_end_is_retried(aws: None, moto: Moto, error: str) -> None:
    operator = _operator(moto, "runs-long", f"resume-early-{len(error)}")
    with pytest.raises(AirflowException) as raised:
        _fail(operator, error)
    assert not isinstance(raised.value, AirflowFailException)  # Airflow retries this one
    assert "a retry of this task follows the same execution" in str(raised.value)
    assert f"{error} airflow.exceptions.AirflowException: Waiter error: max attempts reached" in str(
        raised.value
    )


def test_a_run_older_than_the_wait_fails_without_retry(aws: None, moto: Moto) -> None:
    operator = _operator(moto, "runs-long", "resume-outlived", waitSeconds=0)
    with pytest.raises(AirflowFailException, match="longer than the 0 s every attempt of its run can take"):
        _fail(operator, "Trigger/execution timeout")


def test_other_resumptions_go_to_the_named_method(aws: None, moto: Moto) -> None:
    operator = _operator(moto, "succeeds", "resume-event")
    _ended(moto, operator)
    event = {"status": "success", "execution_arn": operator.run["executionArn"]}
    assert operator.resume_execution("execute_complete", {"event": event}, {}) == SUCCESS_OUTPUT


class _TaskInstance:
    """What the sensor uses of Airflow's task instance: it stores the output as an XCom."""

    def __init__(self) -> None:
        self.xcoms: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value


def _sensor(operator: StartDbtRunOperator, monkeypatch: pytest.MonkeyPatch) -> DbtRunSensor:
    # Airflow's own sensor clock running out (after the wait and a margin) is what cannot be
    # waited for here: its loop raises at once instead.
    def clock_ran_out(self: Any, context: Any) -> None:
        raise AirflowSensorTimeout("Sensor has timed out")

    monkeypatch.setattr(StepFunctionExecutionSensor, "execute", clock_ran_out)
    return DbtRunSensor(task_id="wait_for_execution", run=operator.run, aws_conn_id=None, mode="reschedule")


def test_a_sensor_whose_airflow_clock_ran_out_says_the_run_outlived_the_wait(
    aws: None, moto: Moto, monkeypatch: pytest.MonkeyPatch
) -> None:
    sensor = _sensor(_operator(moto, "runs-long", "sensor-clock"), monkeypatch)
    with pytest.raises(AirflowFailException, match=r"is still RUNNING after .* it goes on in Step Functions"):
        sensor.execute({"ti": _TaskInstance()})


def test_a_sensor_whose_airflow_clock_ran_out_as_the_run_ended_reports_it(
    aws: None, moto: Moto, monkeypatch: pytest.MonkeyPatch
) -> None:
    operator = _operator(moto, "succeeds", "sensor-clock-ended")
    _ended(moto, operator)
    task_instance = _TaskInstance()
    _sensor(operator, monkeypatch).execute({"ti": task_instance})
    assert task_instance.xcoms["output"] == SUCCESS_OUTPUT
