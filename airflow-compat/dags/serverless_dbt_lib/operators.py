"""The Amazon provider's Step Functions operator and sensor, told what serverless-dbt needs.

Both take `run`, the plan the DAG's first task made (execution.plan_run: the filled run
input, the execution's name and ARN, the AWS connection, the wait), so that every setting is
read at run time and nothing touches AWS when the DAG file is parsed.

- StartDbtRunOperator starts the execution, or finds the one this DAG run already started
  (same name: a retried or cleared task never starts a second dbt run). Deferrable, it also
  waits, in the triggerer, with the provider's trigger, then reports.
- DbtRunSensor waits on a worker (reschedule mode frees the slot between polls), then reports.

Reporting reads DescribeExecution: the log carries the verdict and the reason, and the task
fails when the execution did not succeed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from airflow.providers.amazon.aws.operators.step_function import StepFunctionStartExecutionOperator
from airflow.providers.amazon.aws.sensors.step_function import StepFunctionExecutionSensor
from airflow.providers.amazon.aws.triggers.step_function import StepFunctionsExecutionCompleteTrigger
from botocore.exceptions import ClientError

from .execution import RUNNING_STATUSES, outcome_of

try:  # Airflow 3
    from airflow.sdk.exceptions import AirflowException, AirflowFailException
except ImportError:  # Airflow 2.9+
    from airflow.exceptions import AirflowException, AirflowFailException


def report(described: dict[str, Any], name: str, log: Any) -> dict[str, Any]:
    """Log an ended execution's verdict and reason; fail (no retry) unless it succeeded."""
    outcome = outcome_of(described)
    log.info("%s", outcome.summary(name))
    if outcome.output:
        log.info("execution output: %s", json.dumps(outcome.output, sort_keys=True))
    if not outcome.succeeded:
        # A retry would only find the same ended execution: fail at once.
        raise AirflowFailException(outcome.summary(name))
    return outcome.output or {}


class _RunSettings:
    """Takes the AWS settings from the plan before the hook is first built."""

    run: dict[str, Any]

    def _apply_run(self) -> None:
        run = self.run
        if run.get("awsConnId"):
            self.aws_conn_id = run["awsConnId"]
        if run.get("region"):
            self.region_name = run["region"]


class StartDbtRunOperator(_RunSettings, StepFunctionStartExecutionOperator):
    template_fields: Sequence[str] = (*StepFunctionStartExecutionOperator.template_fields, "run")

    def __init__(self, *, run: Any, **kwargs: Any) -> None:
        super().__init__(state_machine_arn="", **kwargs)
        self.run = run

    def _apply_run(self) -> None:
        super()._apply_run()
        run = self.run
        self.state_machine_arn = run["stateMachineArn"]
        self.name = run["name"]
        self.state_machine_input = run["input"]
        self.waiter_delay = run["pollSeconds"]
        self.waiter_max_attempts = run["waiterAttempts"]

    def execute(self, context: Any) -> str:
        self._apply_run()
        arn = self._start_or_find()
        if self.deferrable:
            self.log.info(
                "waiting in the triggerer: up to %s polls, %s s apart",
                self.waiter_max_attempts,
                self.waiter_delay,
            )
            self.defer(
                trigger=StepFunctionsExecutionCompleteTrigger(
                    execution_arn=arn,
                    waiter_delay=self.waiter_delay,
                    waiter_max_attempts=self.waiter_max_attempts,
                    aws_conn_id=self.aws_conn_id,
                    region_name=self.region_name,
                    botocore_config=self.botocore_config,
                    verify=self.verify,
                ),
                method_name="execute_complete",
                timeout=timedelta(seconds=self.waiter_delay * (self.waiter_max_attempts + 1)),
            )
        return arn

    def _start_or_find(self) -> str:
        arn = self.run["executionArn"]
        try:
            started = self.hook.start_execution(self.state_machine_arn, self.name, self.state_machine_input)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ExecutionAlreadyExists":
                raise
            existing = self.hook.describe_execution(arn)
            self.log.info(
                "execution %s already exists (%s, started %s): this DAG run started it before; "
                "following it rather than starting a second dbt run",
                self.name,
                existing.get("status"),
                existing.get("startDate"),
            )
            if _json_or_none(existing.get("input")) != self.state_machine_input:
                self.log.warning(
                    "the existing execution's input differs from this try's: %s", existing.get("input")
                )
            return arn
        self.log.info("started execution %s with input %s", started, json.dumps(self.state_machine_input))
        return started or arn

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> dict[str, Any]:
        self._apply_run()
        described = self.hook.describe_execution(self.run["executionArn"])
        if described.get("status") in RUNNING_STATUSES:
            # The wait ran out (a stage limit above serverless_dbt_default_timeout_seconds?):
            # a retry of this task finds the same execution and waits again.
            raise AirflowException(
                f"execution {self.name} is still {described.get('status')} after "
                f"{self.run['waitSeconds']} s of waiting ({(event or {}).get('message', 'no event')})"
            )
        return report(described, self.name, self.log)


class DbtRunSensor(_RunSettings, StepFunctionExecutionSensor):
    template_fields: Sequence[str] = (*StepFunctionExecutionSensor.template_fields, "run")

    def __init__(self, *, run: Any, **kwargs: Any) -> None:
        super().__init__(execution_arn="", **kwargs)
        self.run = run

    def execute(self, context: Any) -> Any:
        self._apply_run()
        self.execution_arn = self.run["executionArn"]
        self.poke_interval = self.run["pollSeconds"]
        self.timeout = self.run["waitSeconds"]
        return super().execute(context)

    def poke(self, context: Any) -> bool:
        described = self.hook.describe_execution(self.execution_arn)
        if described.get("status") in RUNNING_STATUSES:
            self.log.info("execution %s is %s", self.run["name"], described.get("status"))
            return False
        output = report(described, self.run["name"], self.log)
        context["ti"].xcom_push(key="output", value=output)
        return True


def _json_or_none(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
