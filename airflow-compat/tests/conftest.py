"""Fixtures: a moto server standing in for Step Functions, and an Airflow home on SQLite.

moto runs state machine definitions with its ASL interpreter (its execute_state_machine
setting, as tests/support/moto.ts turns it on), so the stand-in machines end as the real one
does: `succeeds` with a RunOutcome as its output, `fails` in a Fail state whose error is a
verdict and whose cause is the reason.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

HERE = Path(__file__).resolve().parent
DAGS = HERE.parent / "dags"
BIN = Path(sys.executable).parent
REGION = "eu-west-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIAFAKEFORMOTO", "AWS_SECRET_ACCESS_KEY": "fake-moto-secret-key"}
ROLE = "arn:aws:iam::123456789012:role/stand-in"

SUCCESS_OUTPUT = {
    "runId": "stand-in",
    "job": "manual",
    "verdict": "SUCCEEDED",
    "reason": "dbt build succeeded: 12 models, 30 tests passed.",
    "hint": None,
    "exitCode": 0,
    "counts": {"success": 12, "pass": 30, "error": 0, "fail": 0, "warn": 0, "skipped": 0},
    "artifactsUri": "s3://artifacts/runs/stand-in/",
}
FAILURE = {"Error": "DBT_FAILED", "Cause": "dbt reported failures: 2 tests failed in model.shop.orders."}
MACHINES = {
    # A Wait first, so that the DAG's first poll finds the execution still running.
    "succeeds": {
        "StartAt": "RunDbt",
        "States": {
            "RunDbt": {"Type": "Wait", "Seconds": 2, "Next": "Succeeded"},
            "Succeeded": {"Type": "Pass", "Result": SUCCESS_OUTPUT, "End": True},
        },
    },
    "fails": {
        "StartAt": "RunDbt",
        "States": {
            "RunDbt": {"Type": "Wait", "Seconds": 2, "Next": "Failed"},
            "Failed": {"Type": "Fail", **FAILURE},
        },
    },
    # Still running when any test's wait ends.
    "runs-long": {
        "StartAt": "RunDbt",
        "States": {
            "RunDbt": {"Type": "Wait", "Seconds": 3600, "Next": "Succeeded"},
            "Succeeded": {"Type": "Pass", "Result": SUCCESS_OUTPUT, "End": True},
        },
    },
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Moto:
    endpoint: str
    arns: dict[str, str]

    def client(self) -> Any:
        return boto3.client(
            "stepfunctions",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def executions(self, machine: str) -> list[dict[str, Any]]:
        return self.client().list_executions(stateMachineArn=self.arns[machine])["executions"]


@pytest.fixture(scope="session")
def moto() -> Iterator[Moto]:
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, "MOTO_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the moto server did not start") from None
                time.sleep(0.2)
        request = urllib.request.Request(
            f"{endpoint}/moto-api/config",
            data=json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode(),
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5):
            pass
        stand_in = Moto(endpoint=endpoint, arns={})
        client = stand_in.client()
        for name, definition in MACHINES.items():
            created = client.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)
            stand_in.arns[name] = created["stateMachineArn"]
        yield stand_in
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def airflow_env(tmp_path_factory: pytest.TempPathFactory, moto: Moto) -> dict[str, str]:
    """The environment of an Airflow with its own home and SQLite database, migrated once."""
    home = tmp_path_factory.mktemp("airflow-home")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW", "AWS_", "SERVERLESS_DBT_"))
    }
    env.update(FAKE_CREDENTIALS)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(
                {"conn_type": "aws", "extra": {"endpoint_url": moto.endpoint, "region_name": REGION}}
            ),
            "AWS_DEFAULT_REGION": REGION,
            # Fast polls for tests; the real default is 60 s.
            "AIRFLOW_VAR_SERVERLESS_DBT_POLL_SECONDS": "1",
        }
    )
    migrated = subprocess.run(
        [str(BIN / "airflow"), "db", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    return env


@dataclass
class DagRunResult:
    result: dict[str, Any]
    log: str


@pytest.fixture
def run_dag(airflow_env: dict[str, str], moto: Moto) -> Any:
    """Run the DAG once with dag.test() in its own process, against one stand-in machine."""

    def run(
        conf: dict[str, Any] | Any,
        machine: str = "succeeds",
        logical_date: datetime | None = None,
        deferrable: bool = False,
        run_id: str | None = None,
        **env: str,
    ) -> DagRunResult:
        when = logical_date or datetime.now().astimezone()
        process_env = {
            **airflow_env,
            "AIRFLOW_VAR_SERVERLESS_DBT_STATE_MACHINE_ARN": moto.arns[machine],
            "SERVERLESS_DBT_DEFERRABLE": "true" if deferrable else "false",
            **env,
        }
        done = subprocess.run(
            [
                sys.executable,
                str(HERE / "run_dag.py"),
                json.dumps(conf),
                when.isoformat(),
                *([run_id] if run_id else []),
            ],
            env=process_env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        log = done.stdout + done.stderr
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        assert lines, f"the DAG run printed no result (exit {done.returncode}):\n{log[-6000:]}"
        return DagRunResult(result=json.loads(lines[-1].removeprefix("RESULT ")), log=log)

    return run
