"""The Amazon provider's Step Functions operator and sensor, told what serverless-dbt needs.

Both take `run`, the plan the DAG's first task made (execution.plan_run: the filled run
input, the execution's name and ARN, the AWS connection, the wait), so that every setting is
read at run time and nothing touches AWS when the DAG file is parsed.

- StartDbtRunOperator starts the execution, or finds the one this DAG run already started
  (same name: a retried or cleared task never starts a second dbt run). Deferrable, it also
  waits, in the triggerer, with the provider's trigger, then reports.
- DbtRunSensor waits on a worker (reschedule mode frees the slot between polls), then reports.

Reporting reads DescribeExecution: the log carries the verdict and the reason, and the task
fails when the execution did not succeed. Both ways of waiting end the same when the execution
outlives the wait (execution.outlived_wait): a failure without retry that says how to follow it.
Both keep the provider's console links.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.providers.amazon.aws.links.step_function import (
    StateMachineDetailsLink,
    StateMachineExecutionsDetailsLink,
)
from airflow.providers.amazon.aws.operators.step_function import StepFunctionStartExecutionOperator
from airflow.providers.amazon.aws.sensors.step_function import StepFunctionExecutionSensor
from airflow.providers.amazon.aws.triggers.step_function import StepFunctionsExecutionCompleteTrigger
from botocore.exceptions import ClientError

from .execution import RUNNING_STATUSES, execution_age_seconds, outcome_of, outlived_wait, stopped_early

try:  # Airflow 3.1+
    from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSensorTimeout
except ImportError:  # Airflow 2 and 3.0
    from airflow.exceptions import AirflowException, AirflowFailException, AirflowSensorTimeout

# The next_method Airflow resumes a deferred task with when its trigger raised or timed out.
TRIGGER_FAILED = "__fail__"


def _now() -> datetime:
    return datetime.now(timezone.utc)  # noqa: UP017 (Airflow 2 runs on Python < 3.11 too)


def _fail_outlived(described: dict[str, Any], plan: dict[str, Any], log: Any) -> None:
    # Logged as well as raised: Airflow's rendering of an exception may wrap or colour it.
    message = outlived_wait(plan, str(described.get("status")), execution_age_seconds(described, _now()))
    log.error("%s", message)
    raise AirflowFailException(message)


def _fail_if_outlived(described: dict[str, Any], plan: dict[str, Any], log: Any) -> None:
    """A running execution older than the wait has outlived every attempt its limit allows:
    following it longer, or retrying, would not end sooner. Both waits decide it this way."""
    if execution_age_seconds(described, _now()) >= plan["waitSeconds"]:
        _fail_outlived(described, plan, log)


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

    def _keep_link(self, link: Any, context: Any, **arn: str) -> None:
        """Store a provider console link's values, as the provider's own execute() does."""
        hook = self.hook  # type: ignore[attr-defined]
        link.persist(
            context=context,
            operator=self,
            region_name=hook.conn_region_name,
            aws_partition=hook.conn_partition,
            **arn,
        )


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
        # The provider's execute() keeps the console links; this one replaces it, so it does too.
        self._keep_link(StateMachineDetailsLink, context, state_machine_arn=self.state_machine_arn)
        arn = self._start_or_find()
        self._keep_link(StateMachineExecutionsDetailsLink, context, execution_arn=arn)
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
            _fail_if_outlived(described, self.run, self.log)
            # The trigger stopped before the run could have ended (an AWS error it does not
            # retry): a retry of this task finds the same execution and waits again.
            why = str((event or {}).get("message") or "no event")
            age = execution_age_seconds(described, _now())
            message = stopped_early(self.run, str(described.get("status")), age, why)
            self.log.warning("%s", message)
            raise AirflowException(message)
        return report(described, self.name, self.log)

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None, context: Any) -> Any:
        """A trigger that raised, or a deferral that timed out, resumes the task to fail it.
        Providers before 9.25.0 (MWAA's pins among them) raise on a failed execution instead of
        sending an event, so the execution is asked what happened, as for an event."""
        if next_method != TRIGGER_FAILED:
            return super().resume_execution(next_method, next_kwargs, context)
        error = (next_kwargs or {}).get("error") or "the trigger failed"
        error = getattr(error, "value", error)  # a TriggerFailureReason on Airflow 3
        traceback = (next_kwargs or {}).get("traceback") or []
        last_line = next((line.strip() for line in reversed(traceback) if line.strip()), "")
        self.log.info("the wait ended with %s%s", error, f": {last_line}" if last_line else "")
        event = {"status": "error", "message": f"{error} {last_line}".strip()}
        return self.execute_complete(context, event=event)


class DbtRunSensor(_RunSettings, StepFunctionExecutionSensor):
    template_fields: Sequence[str] = (*StepFunctionExecutionSensor.template_fields, "run")
    operator_extra_links = (StateMachineExecutionsDetailsLink(),)

    def __init__(self, *, run: Any, **kwargs: Any) -> None:
        super().__init__(execution_arn="", **kwargs)
        self.run = run

    def execute(self, context: Any) -> Any:
        self._apply_run()
        self.execution_arn = self.run["executionArn"]
        self.poke_interval = self.run["pollSeconds"]
        # poke() decides when the run has outlived the wait, by the execution's age, as the
        # deferrable wait does. Airflow's own timeout only backs it up: it would end the task
        # with a generic message.
        self.timeout = self.run["waitSeconds"] + 2 * self.poke_interval + 60
        self._keep_link(StateMachineExecutionsDetailsLink, context, execution_arn=self.execution_arn)
        try:
            return super().execute(context)
        except AirflowSensorTimeout:
            # Airflow's clock ran out first (a slow worker): the same answer as poke() gives.
            self.poke(context, wait_is_over=True)
            return None

    def poke(self, context: Any, wait_is_over: bool = False) -> bool:
        described = self.hook.describe_execution(self.execution_arn)
        if described.get("status") in RUNNING_STATUSES:
            self.log.info("execution %s is %s", self.run["name"], described.get("status"))
            if wait_is_over:
                _fail_outlived(described, self.run, self.log)
            _fail_if_outlived(described, self.run, self.log)
            return False
        output = report(described, self.run["name"], self.log)
        context["ti"].xcom_push(key="output", value=output)
        return True


def _json_or_none(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
