"""serverless-dbt: start the stage's dbt-run state machine from Airflow and wait for its outcome.

The same state machine, the same run input (docs/run-input.md) as the EventBridge schedules,
the console and the CLI. Trigger with config to override the params, e.g.
`{"job": "nightly_marts", "command": "run", "select": "tag:nightly"}`.

Settings, read when a task runs (an Airflow Variable, else the environment variable of the
same name in capitals): serverless_dbt_state_machine_arn (required),
serverless_dbt_aws_conn_id (aws_default), serverless_dbt_region (the connection's),
serverless_dbt_default_timeout_seconds (3600: set it to the stage's defaultTimeoutSeconds),
serverless_dbt_poll_seconds (60).

Read when the file is parsed (environment only; nothing here calls AWS or reads Variables):
SERVERLESS_DBT_DEFERRABLE (wait in the triggerer; default: Airflow's
[operators] default_deferrable), SERVERLESS_DBT_SCHEDULE (a cron expression: Airflow owns the
schedule; default none, EventBridge Scheduler runs the jobs) and SERVERLESS_DBT_DEFAULT_INPUT
(the params' defaults as a run input JSON, e.g. the job whose schedule Airflow now owns).
See docs/airflow.md.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import datetime, timedelta, timezone

# Airflow puts the dags folder on sys.path; a DAG bundle or a test may not.
if os.path.dirname(os.path.abspath(__file__)) not in sys.path:
    sys.path.append(os.path.dirname(os.path.abspath(__file__)))

from serverless_dbt_lib.execution import SETTINGS, SettingError, input_from_params, plan_run
from serverless_dbt_lib.operators import DbtRunSensor, StartDbtRunOperator
from serverless_dbt_lib.run_input import FIELDS, InvalidRunInput, param_schema, validate_run_input

try:  # Airflow 3.0+
    from airflow.sdk import DAG, Param, Variable, get_current_context, task
except ImportError:  # Airflow 2 (tested with 2.11)
    from airflow.decorators import task
    from airflow.models import DAG, Variable
    from airflow.models.param import Param
    from airflow.operators.python import get_current_context
# Apart from the above: Airflow 3.0's task SDK has no exceptions yet (they are still, and not
# deprecated, in airflow.exceptions), and one try for both would send 3.0 to Airflow 2's shims.
try:  # Airflow 3.1+
    from airflow.sdk.exceptions import AirflowFailException
except ImportError:  # Airflow 2 and 3.0
    from airflow.exceptions import AirflowFailException

try:
    from airflow.providers.common.compat.sdk import conf
except ImportError:
    from airflow.configuration import conf

DAG_ID = "serverless_dbt"
log = logging.getLogger("airflow.task")
DEFERRABLE = os.environ.get("SERVERLESS_DBT_DEFERRABLE", "").strip().lower() in ("1", "true", "yes") or (
    "SERVERLESS_DBT_DEFERRABLE" not in os.environ
    and conf.getboolean("operators", "default_deferrable", fallback=False)
)
SCHEDULE = os.environ.get("SERVERLESS_DBT_SCHEDULE") or None
# Refused here, at parse time, so a bad default shows as the DAG's import error.
DEFAULTS = validate_run_input(json.loads(os.environ.get("SERVERLESS_DBT_DEFAULT_INPUT") or "{}"))


def _setting(name: str) -> str | None:
    return Variable.get(name, os.environ.get(name.upper(), SETTINGS[name]))


def _param(name: str) -> Param:
    """The field's form entry, from the run input's contract (its JSON Schema). A field with no
    default may be left empty: null in the form means not set."""
    schema = param_schema(name)
    schema.pop("default", None)
    if "default" not in FIELDS[name]:
        schema["type"] = ["null", schema["type"]]
    return Param(DEFAULTS.get(name), **schema)


with DAG(
    dag_id=DAG_ID,
    description="Runs dbt with the serverless-dbt state machine and reports its verdict",
    schedule=SCHEDULE,
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),  # noqa: UP017 (Airflow 2 runs on Python < 3.11 too)
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=1)},
    tags=["serverless-dbt", "dbt"],
    params={name: _param(name) for name in FIELDS},
    doc_md=__doc__,
) as dag:
    # One XCom for the whole plan: `-> dict` would otherwise push each key as its own, and
    # Airflow 3.0 refuses a None one (the region when the connection's is used).
    @task(retries=0, multiple_outputs=False)
    def run_input() -> dict:
        """Validate the run input and plan the execution: no AWS call yet."""
        context = get_current_context()
        raw = input_from_params(dict(context["params"]), context["dag_run"].conf)
        try:
            plan = plan_run(validate_run_input(raw), DAG_ID, context["run_id"], _setting)
        except InvalidRunInput as error:
            raise AirflowFailException(f"InvalidRunInput: {error}") from None
        except SettingError as error:
            raise AirflowFailException(f"serverless-dbt setting: {error}") from None
        log.info("execution %s, input %s", plan["name"], json.dumps(plan["input"]))
        return plan

    plan = run_input()
    start = StartDbtRunOperator(task_id="start_execution", run=plan, deferrable=DEFERRABLE)
    if not DEFERRABLE:
        start >> DbtRunSensor(task_id="wait_for_execution", run=plan, mode="reschedule")
