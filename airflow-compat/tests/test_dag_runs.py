"""The DAG run end to end with dag.test(), against moto's stand-in state machines."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from urllib.parse import unquote

import pytest
from conftest import DAGS, FAILURE, HERE, SUCCESS_OUTPUT, DagRunResult, Moto

sys.path.insert(0, str(DAGS))
from serverless_dbt_lib.execution import execution_arn, execution_name


def _names(moto: Moto, machine: str) -> list[str]:
    return [execution["name"] for execution in moto.executions(machine)]


def test_the_dag_imports_without_errors_and_without_aws(airflow_env: dict[str, str]) -> None:
    # No AWS connection and no endpoint: parsing must not need either.
    env = {key: value for key, value in airflow_env.items() if not key.startswith(("AIRFLOW_CONN", "AWS_"))}
    script = (
        "import json\n"
        "try:\n    from airflow.dag_processing.dagbag import DagBag\n"
        "except ImportError:\n    from airflow.models.dagbag import DagBag\n"
        f"bag = DagBag(dag_folder={str(DAGS)!r})\n"
        "dag = bag.dags.get('serverless_dbt')\n"
        "print('RESULT ' + json.dumps({'errors': {k: str(v) for k, v in bag.import_errors.items()},"
        " 'dags': sorted(bag.dag_ids), 'tasks': sorted(t.task_id for t in dag.tasks) if dag else None,"
        " 'timetable': type(dag.timetable).__name__ if dag else None,"
        " 'params': sorted(dag.params.keys()) if dag else None,"
        " 'schemas': {k: dag.params.get_param(k).schema for k in dag.params} if dag else None,"
        " 'descriptions': {k: dag.params.get_param(k).description for k in dag.params} if dag else None}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    lines = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    assert lines, done.stdout[-3000:] + done.stderr[-3000:]
    line = lines[-1]
    result = json.loads(line.removeprefix("RESULT "))
    assert result["errors"] == {}
    assert result["dags"] == ["serverless_dbt"]  # the helper package is not parsed as DAGs
    assert result["tasks"] == ["run_input", "start_execution", "wait_for_execution"]
    assert result["timetable"] == "NullTimetable"  # schedule None: EventBridge runs the jobs
    # The trigger form's fields are the run input's, each with the contract's JSON Schema (a field
    # with no default may be left empty: null).
    contract = json.loads((HERE.parents[1] / "contracts" / "run-input.schema.json").read_text())
    assert result["params"] == sorted(contract["properties"])
    for name, schema in contract["properties"].items():
        expected = {key: value for key, value in schema.items() if key not in ("default", "description")}
        if "default" not in schema:
            expected["type"] = ["null", schema["type"]]
        assert result["schemas"][name] == expected, name
        assert result["descriptions"][name] == schema["description"], name


def _execution_of(moto: Moto, machine: str, run: DagRunResult) -> str:
    return execution_arn(moto.arns[machine], execution_name("serverless_dbt", run.result["runId"]))


def _assert_console_links(run: DagRunResult, moto: Moto, machine: str, deferrable: bool) -> None:
    """The provider's console links, which its execute() stores and the DAG's operator keeps."""
    start = run.result["links"]["start_execution"]
    assert start.keys() == {"_state_machine_details", "_state_machine_executions_details"}
    assert start["_state_machine_details"].startswith("https://console.aws.amazon.com/states/")
    # The provider's links quote the ARN.
    assert moto.arns[machine] in unquote(start["_state_machine_details"])
    assert _execution_of(moto, machine, run) in unquote(start["_state_machine_executions_details"])
    if deferrable:
        assert "wait_for_execution" not in run.result["links"]
    else:
        wait = run.result["links"]["wait_for_execution"]
        assert wait == {"_state_machine_executions_details": start["_state_machine_executions_details"]}


def test_a_succeeding_execution_makes_the_dag_run_succeed_with_console_links(run_dag, moto: Moto) -> None:
    conf = {"job": "nightly_marts", "select": "tag:nightly +orders", "vars": {"day": "2026-11-24"}}
    run = run_dag(conf, machine="succeeds")
    assert run.result.get("state") == "success", run.log[-6000:]
    assert run.result["tasks"] == {
        "run_input": "success",
        "start_execution": "success",
        "wait_for_execution": "success",
    }
    assert "verdict SUCCEEDED" in run.log
    assert SUCCESS_OUTPUT["reason"] in run.log
    _assert_console_links(run, moto, "succeeds", deferrable=False)
    (execution,) = [e for e in moto.executions("succeeds") if e["name"].startswith("airflow-serverless_dbt-")]
    described = moto.client().describe_execution(executionArn=execution["executionArn"])
    # The filled run input, exactly as the shared vectors fill it.
    assert json.loads(described["input"]) == {
        "job": "nightly_marts",
        "command": "build",
        "select": "tag:nightly +orders",
        "fullRefresh": False,
        "vars": {"day": "2026-11-24"},
        "freshness": "warn",
        "docs": True,
        "failFast": False,
        "warnError": False,
        "allowEmpty": False,
    }


def test_a_failing_execution_fails_the_dag_run_with_its_verdict_and_reason(run_dag, moto: Moto) -> None:
    before = len(moto.executions("fails"))
    run = run_dag({}, machine="fails")
    assert run.result.get("state") == "failed", run.log[-6000:]
    assert run.result["tasks"]["wait_for_execution"] == "failed"
    assert f"verdict {FAILURE['Error']}" in run.log
    assert FAILURE["Cause"] in run.log
    assert len(moto.executions("fails")) == before + 1


@pytest.mark.parametrize("machine", ["succeeds", "fails"])
def test_deferrable_waits_in_the_trigger_and_reports_the_outcome_with_console_links(
    run_dag, moto: Moto, machine: str
) -> None:
    before = len(moto.executions(machine))
    run = run_dag({"command": "run"}, machine=machine, deferrable=True)
    assert run.result.get("tasks", {}).keys() == {"run_input", "start_execution"}, run.log[-6000:]
    assert "waiting in the triggerer" in run.log
    if machine == "succeeds":
        assert run.result["state"] == "success", run.log[-6000:]
        assert "verdict SUCCEEDED" in run.log
        assert SUCCESS_OUTPUT["reason"] in run.log
    else:
        # Whether the provider's trigger sends an error event (9.25.0 and later) or raises
        # (before: MWAA's pins), the same verdict line, and a failure without a retry.
        assert run.result["state"] == "failed", run.log[-6000:]
        assert run.result["tasks"]["start_execution"] == "failed"
        assert f"verdict {FAILURE['Error']}" in run.log
        assert FAILURE["Cause"] in run.log
    assert len(moto.executions(machine)) == before + 1
    _assert_console_links(run, moto, machine, deferrable=True)


@pytest.mark.parametrize("deferrable", [False, True], ids=["sensor", "deferrable"])
def test_a_run_that_outlives_the_wait_fails_without_retry_saying_how_to_follow_it(
    run_dag, moto: Moto, deferrable: bool
) -> None:
    # The shortest real wait is 27 minutes (a 60 s run's two attempts and margins): the harness
    # shortens it to 3 s. The stand-in execution runs for an hour.
    run = run_dag(
        {"command": "run"}, machine="runs-long", deferrable=deferrable, SERVERLESS_DBT_TEST_WAIT_SECONDS="3"
    )
    waiting_task = "start_execution" if deferrable else "wait_for_execution"
    assert run.result.get("state") == "failed", run.log[-6000:]
    assert run.result["tasks"][waiting_task] == "failed"  # not up_for_retry
    execution = _execution_of(moto, "runs-long", run)
    name = execution.rsplit(":", 1)[1]
    said = rf"serverless-dbt run {name} is still RUNNING after \d+ s, longer than the 3 s.*"
    message = re.search(said, run.log)
    assert message, run.log[-6000:]
    assert "it goes on in Step Functions, but this task stops following it" in message[0]
    assert f"aws stepfunctions describe-execution --execution-arn {execution}" in message[0]
    assert f"#/v2/executions/details/{execution}" in message[0]
    assert "raise the setting to match, then clear this task" in message[0]
    # Not Airflow's own words, which say none of this (a traceback may quote their source).
    assert not re.search(r"Sensor has timed out; run duration of \d", run.log)
    described = moto.client().describe_execution(executionArn=execution)
    assert described["status"] == "RUNNING"


# Each rule is held to the shared vectors in test_run_input.py; here, one refusal of each kind
# the DAG run meets: by the params' schema when Airflow creates the run, by the validator task.
@pytest.mark.parametrize(
    ("conf", "field"),
    [
        ({"fullRefresh": "true"}, "fullRefresh"),  # the params' schema
        ({"select": "orders; rm -rf /"}, "select"),  # the validator: no shell text
        ({"commnd": "run"}, "commnd"),  # the validator: unknown field
        ({"command": "retry"}, "retryOf"),  # the validator: rules across fields
    ],
)
def test_invalid_conf_is_refused_naming_the_field_before_any_aws_call(
    run_dag, moto: Moto, conf: dict, field: str
) -> None:
    before = {machine: len(moto.executions(machine)) for machine in moto.arns}
    run = run_dag(conf, machine="succeeds")
    after = {machine: len(moto.executions(machine)) for machine in moto.arns}
    assert after == before, "an execution was started for an invalid conf"
    if "refused" in run.result:
        # Airflow's own check of the params' schema refused the run when it was created.
        assert field in run.result["refused"], run.result
    else:
        assert run.result["state"] == "failed", run.log[-6000:]
        assert run.result["tasks"]["run_input"] == "failed"
        assert run.result["tasks"]["start_execution"] == "upstream_failed"
        assert f"InvalidRunInput: {field}:" in run.log


def test_a_rerun_of_the_same_airflow_run_follows_its_execution_instead_of_starting_another(
    run_dag, moto: Moto
) -> None:
    # An Airflow run id as the scheduler makes them: ':', '+' and '.' are not allowed in a name.
    run_id = "manual__2026-11-24T06:00:12.345678+00:00"
    when = datetime(2026, 11, 24, 6, 0, 12, 345678, tzinfo=UTC)
    first = run_dag({}, machine="succeeds", logical_date=when, run_id=run_id)
    assert first.result.get("state") == "success", first.log[-6000:]
    second = run_dag({}, machine="succeeds", logical_date=when, run_id=run_id)
    assert second.result.get("state") == "success", second.log[-6000:]
    assert first.result["runId"] == second.result["runId"] == run_id
    assert "already exists" in second.log
    names = [name for name in _names(moto, "succeeds") if "manual__2026-11-24T06-00-12" in name]
    assert len(names) == 1, names
    (name,) = names
    assert name.startswith("airflow-serverless_dbt-")
    assert len(name) <= 80


def test_a_missing_state_machine_arn_is_refused_before_any_aws_call(run_dag, moto: Moto) -> None:
    before = len(moto.executions("succeeds"))
    run = run_dag({}, machine="succeeds", AIRFLOW_VAR_SERVERLESS_DBT_STATE_MACHINE_ARN="")
    assert run.result.get("state") == "failed", run.log[-6000:]
    assert "serverless_dbt_state_machine_arn" in run.log
    assert len(moto.executions("succeeds")) == before


def test_the_helpers_are_importable_from_the_dags_folder_alone() -> None:
    assert (DAGS / ".airflowignore").read_text().split() == ["serverless_dbt_lib"]
    assert HERE.parent.joinpath("dags", "serverless_dbt_lib", "run_input.py").is_file()
