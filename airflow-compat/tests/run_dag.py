"""Run the serverless_dbt DAG once with dag.test(), in a process of its own.

Usage: run_dag.py '<conf JSON>' <logical date ISO-8601> [<run id>]. The environment (set by
conftest.py) holds AIRFLOW_HOME, the dags folder, the AWS connection and the DAG's settings.
With a run id, the DAG run gets that id instead of one made from the clock: run twice, it is
the same Airflow run again (dag.test replaces a run of the same logical date), as a cleared or
retried run is. Prints one line `RESULT {...}`: the DAG run's state and its tasks' states, or
the error that refused it.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from contextlib import ExitStack, nullcontext, suppress
from datetime import datetime
from typing import Any
from unittest import mock

import airflow
from airflow.models.dagrun import DagRun
from airflow.providers.amazon.aws.links.step_function import (
    StateMachineDetailsLink,
    StateMachineExecutionsDetailsLink,
)
from airflow.utils.session import create_session
from sqlalchemy import text

AIRFLOW_3 = int(airflow.__version__.split(".")[0]) >= 3
try:  # Airflow 3.1+
    from airflow.dag_processing.dagbag import DagBag
except ImportError:  # Airflow 2 and 3.0
    from airflow.models.dagbag import DagBag
if not AIRFLOW_3:
    # dag.test() deletes an earlier run of the same date, and Airflow 2's run notes point at
    # FAB's user table, which only this import declares in a process with no webserver.
    with suppress(ImportError):
        import airflow.providers.fab.auth_manager.models


# dag.test's argument: logical_date on Airflow 3, execution_date on Airflow 2.
DATE_ARGUMENT = "logical_date" if AIRFLOW_3 else "execution_date"
# Where dag.test runs a deferred task's trigger: Airflow 3's task SDK, Airflow 2's models.
if AIRFLOW_3:
    import airflow.sdk.definitions.dag as dag_test_module
else:
    import airflow.models.dag as dag_test_module

LINK_KEYS = ("_state_machine_details", "_state_machine_executions_details")


def fail_like_the_triggerer() -> Any:
    """dag.test runs a trigger inline, and when the trigger raises it fails the task on the spot
    (Airflow 3) or never ends (Airflow 2). A real triggerer instead resumes the task with
    next_method `__fail__` and the error (Trigger.submit_failure), which the DAG's operator
    answers; the provider's trigger raises on a failed execution before 9.25.0, MWAA's pins
    among them. Stands in for the triggerer here, as dag.test stands in for the scheduler."""
    run_inline = dag_test_module._run_inline_trigger

    def run_inline_or_fail(*args: Any) -> Any:
        try:
            return run_inline(*args)
        except Exception as error:
            print(f"TRIGGER RAISED {type(error).__name__}: {error}", flush=True)
            caller = sys._getframe(1).f_locals
            # What dag.test resumes the task with: DeferTask `msg` (3), TaskDeferred `e` (2).
            deferral = caller.get("msg") or caller.get("e")
            kwargs = {"error": "Trigger failure", "traceback": traceback.format_exception(error)}
            if hasattr(deferral, "next_method"):
                deferral.next_method, deferral.next_kwargs = "__fail__", kwargs
            else:
                deferral.method_name, deferral.kwargs = "__fail__", kwargs
            return None

    return mock.patch.object(dag_test_module, "_run_inline_trigger", run_inline_or_fail)


def shorter_wait(seconds: str | None) -> Any:
    """SERVERLESS_DBT_TEST_WAIT_SECONDS: a run that outlives its wait, without the 27 minutes
    the shortest real wait lasts."""
    if not seconds:
        return nullcontext()
    return mock.patch("serverless_dbt_lib.execution.wait_seconds", return_value=int(seconds))


def links(run: DagRun) -> dict[str, dict[str, str]]:
    """The console links the tasks stored (the provider's link classes format them)."""
    formats = {link.key: link for link in (StateMachineDetailsLink(), StateMachineExecutionsDetailsLink())}
    found: dict[str, dict[str, str]] = {}
    with create_session() as session:
        rows = session.execute(
            text("select task_id, key, value from xcom where dag_id = :dag and run_id = :run"),
            {"dag": run.dag_id, "run": run.run_id},
        ).all()
    for task_id, key, stored in rows:
        if key not in LINK_KEYS:
            continue
        value = stored
        while isinstance(value, (bytes, str)):  # JSON text, JSON bytes (Airflow 2), or JSON in JSON
            value = json.loads(value)
        found.setdefault(task_id, {})[key] = formats[key].format_link(**value)
    return found


def main() -> None:
    conf = json.loads(sys.argv[1])
    logical_date = datetime.fromisoformat(sys.argv[2])
    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    if bag.import_errors:
        print("RESULT " + json.dumps({"importErrors": bag.import_errors}), flush=True)
        return
    dag = bag.dags["serverless_dbt"]
    fixed_run_id = sys.argv[3] if len(sys.argv) > 3 else None
    same_run = (
        mock.patch.object(DagRun, "generate_run_id", return_value=fixed_run_id)
        if fixed_run_id
        else nullcontext()
    )
    try:
        with ExitStack() as patches:
            patches.enter_context(same_run)
            patches.enter_context(fail_like_the_triggerer())
            patches.enter_context(shorter_wait(os.environ.get("SERVERLESS_DBT_TEST_WAIT_SECONDS")))
            run = dag.test(run_conf=conf, **{DATE_ARGUMENT: logical_date})
    except Exception as error:
        print("RESULT " + json.dumps({"refused": f"{type(error).__name__}: {error}"}), flush=True)
        return
    tasks = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    result = {"state": str(run.state), "runId": run.run_id, "tasks": tasks, "links": links(run)}
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
