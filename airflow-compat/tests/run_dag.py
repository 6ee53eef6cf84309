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
from contextlib import nullcontext, suppress
from datetime import datetime
from unittest import mock

from airflow.models.dagrun import DagRun

try:  # Airflow 3
    from airflow.dag_processing.dagbag import DagBag

    AIRFLOW_3 = True
except ImportError:  # Airflow 2
    from airflow.models.dagbag import DagBag

    AIRFLOW_3 = False
    # dag.test() deletes an earlier run of the same date, and Airflow 2's run notes point at
    # FAB's user table, which only this import declares in a process with no webserver.
    with suppress(ImportError):
        import airflow.providers.fab.auth_manager.models  # noqa: F401


# dag.test's argument: logical_date on Airflow 3, execution_date on Airflow 2.
DATE_ARGUMENT = "logical_date" if AIRFLOW_3 else "execution_date"


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
        with same_run:
            run = dag.test(run_conf=conf, **{DATE_ARGUMENT: logical_date})
    except Exception as error:
        print("RESULT " + json.dumps({"refused": f"{type(error).__name__}: {error}"}), flush=True)
        return
    tasks = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    result = {"state": str(run.state), "runId": run.run_id, "tasks": tasks}
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
