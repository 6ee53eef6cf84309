"""What the DAG decides about one execution, with no Airflow and no AWS: its name, how long
to wait for it, and how to read its outcome. Standard library only."""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .run_input import DEFAULTS, FIELDS

# Step Functions allows 80 characters; Prepare accepts only these as a run id (the execution's
# name is the run id: artifacts live under runs/<name>/ and retryOf names it later).
NAME_MAX = 80
NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
HASH_CHARS = 10
# Prepare reports executions named airflow-... as triggered by Airflow.
NAME_PREFIX = "airflow-"

# The state machine makes up to MAX_ATTEMPTS attempts of the run's limit each (one more on
# on-demand Fargate after a retryable infrastructure failure), as Prepare's overlap lock
# counts them: functions/shared/contracts.ts and functions/prepare/lock-rules.ts.
MAX_ATTEMPTS = 2
ATTEMPT_MARGIN_SECONDS = 600
RUN_MARGIN_SECONDS = 300
# The state machine's own limit (TimeoutSeconds in state-machines/dbt-run.asl.yml): no execution
# runs longer, so no wait needs to either.
STATE_MACHINE_TIMEOUT_SECONDS = 174300

RUNNING_STATUSES = ("RUNNING", "PENDING_REDRIVE")

CONSOLE_DOMAINS = {
    "aws": "console.aws.amazon.com",
    "aws-cn": "console.amazonaws.cn",
    "aws-us-gov": "console.amazonaws-us-gov.com",
}


def execution_name(dag_id: str, run_id: str) -> str:
    """`airflow-<dag_id>-<run_id>` in the characters a run id may hold, at most 80 of them.

    Only the DAG and the Airflow run id decide it, so every try of a task (a retry, a cleared
    task) names the same execution and never starts a second dbt run. When the text had to
    change (Airflow run ids hold ':' and '+') or be cut, a hash of the original is appended:
    two run ids that differ only in punctuation still name two executions.
    """
    original = f"{NAME_PREFIX}{dag_id}-{run_id}"
    safe = NAME_UNSAFE.sub("-", original)
    if safe == original and len(safe) <= NAME_MAX:
        return safe
    digest = hashlib.sha256(original.encode("utf-8")).hexdigest()[:HASH_CHARS]
    return f"{safe[: NAME_MAX - HASH_CHARS - 1]}-{digest}"


def execution_arn(state_machine_arn: str, name: str) -> str:
    """arn:aws:states:<region>:<account>:execution:<machine>:<name>, for a started execution."""
    head, separator, machine = state_machine_arn.partition(":stateMachine:")
    if not separator or not machine:
        raise ValueError(f"not a state machine ARN: {state_machine_arn!r}")
    return f"{head}:execution:{machine}:{name}"


def wait_seconds(timeout_seconds: int) -> int:
    """How long a run of this limit can take, every attempt included (the overlap lock's rule),
    and never more than the state machine's own limit allows."""
    every_attempt = MAX_ATTEMPTS * (timeout_seconds + ATTEMPT_MARGIN_SECONDS) + RUN_MARGIN_SECONDS
    return min(every_attempt, STATE_MACHINE_TIMEOUT_SECONDS + RUN_MARGIN_SECONDS)


def execution_age_seconds(described: dict[str, Any], now: datetime) -> int:
    """How long ago DescribeExecution's `startDate` was, in whole seconds (0 if it has none)."""
    started = described.get("startDate")
    if not isinstance(started, datetime):
        return 0
    return max(0, int((now - started).total_seconds()))


def console_url(execution_arn: str) -> str:
    """The execution's page in the Step Functions console."""
    _, partition, _, region, *_ = execution_arn.split(":")
    domain = CONSOLE_DOMAINS.get(partition, CONSOLE_DOMAINS["aws"])
    return f"https://{region}.{domain}/states/home?region={region}#/v2/executions/details/{execution_arn}"


def follow_instructions(plan: dict[str, Any]) -> str:
    arn = plan["executionArn"]
    command = f"aws stepfunctions describe-execution --execution-arn {arn}"
    return f"Follow it at {console_url(arn)} or with `{command}`."


def outlived_wait(plan: dict[str, Any], status: str, age_seconds: int) -> str:
    """Why the DAG stops following an execution that ran longer than any run of its limit can:
    the same words whether a sensor or the triggerer waited."""
    text = (
        f"serverless-dbt run {plan['name']} is still {status} after {age_seconds} s, longer than the "
        f"{plan['waitSeconds']} s every attempt of its run can take: it goes on in Step Functions, "
        f"but this task stops following it. {follow_instructions(plan)}"
    )
    if "timeoutSeconds" not in plan["input"]:
        text += (
            " Its limit is the stage's defaultTimeoutSeconds: if that is above "
            "serverless_dbt_default_timeout_seconds, raise the setting to match, then clear this task "
            "to follow the run again."
        )
    return text


def stopped_early(plan: dict[str, Any], status: str, age_seconds: int, why: str) -> str:
    """The wait ended before the run could have (the trigger failed): a retry follows it again."""
    return (
        f"serverless-dbt run {plan['name']} is still {status} after {age_seconds} s, but the wait "
        f"stopped ({why}); a retry of this task follows the same execution. {follow_instructions(plan)}"
    )


def waiter_attempts(total_seconds: int, delay_seconds: int) -> int:
    """Polls, `delay_seconds` apart, that span `total_seconds`. The provider's waiter polls at
    once and after each delay, so N polls span only N - 1 delays: one more poll than
    total / delay, or the trigger gives up a poll before the run could have ended."""
    return max(1, math.ceil(total_seconds / delay_seconds)) + 1


@dataclass(frozen=True)
class Outcome:
    """An ended execution as the DAG reports it: the state machine's verdict and reason."""

    status: str
    verdict: str
    reason: str
    hint: str | None = None
    output: dict[str, Any] | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"

    def summary(self, name: str) -> str:
        text = f"serverless-dbt run {name}: {self.status}, verdict {self.verdict}: {self.reason}"
        if self.hint:
            text += f" Hint: {self.hint}"
        return text


def _json_object(text: Any) -> dict[str, Any] | None:
    if not isinstance(text, str):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def outcome_of(described: dict[str, Any]) -> Outcome:
    """Read DescribeExecution's answer for an ended execution.

    Succeeded: the output is `{ runId, job, verdict, reason, hint, exitCode, counts,
    artifactsUri }`. Failed: the Fail state's error is the verdict and its cause the reason.
    Timed out or aborted (the machine's own limit, or a person's StopExecution): the status
    says so, with the error and cause AWS recorded, if any.
    """
    status = str(described.get("status", "UNKNOWN"))
    if status == "SUCCEEDED":
        output = _json_object(described.get("output")) or {}
        return Outcome(
            status=status,
            verdict=str(output.get("verdict") or "SUCCEEDED"),
            reason=str(output.get("reason") or "the execution succeeded"),
            hint=output.get("hint") or None,
            output=output,
        )
    error = described.get("error")
    cause = described.get("cause")
    if status == "FAILED":
        return Outcome(
            status=status,
            verdict=str(error or "FAILED"),
            reason=str(cause or "the execution failed without a cause; see its history"),
        )
    if status == "TIMED_OUT":
        return Outcome(
            status=status,
            verdict=str(error or "TIMED_OUT"),
            reason=str(cause or "the state machine's own time limit ended the execution"),
        )
    if status == "ABORTED":
        return Outcome(
            status=status,
            verdict=str(error or "ABORTED"),
            reason=str(cause or "the execution was stopped in Step Functions"),
        )
    return Outcome(status=status, verdict=status, reason=f"the execution is {status}")


# Where the DAG reads its settings: an Airflow Variable of this name, else the environment
# variable of the same name in capitals, else the default. (Airflow also turns
# AIRFLOW_VAR_<NAME> environment variables into Variables.)
SETTINGS = {
    "serverless_dbt_state_machine_arn": None,
    "serverless_dbt_aws_conn_id": "aws_default",
    "serverless_dbt_region": None,
    "serverless_dbt_default_timeout_seconds": "3600",
    "serverless_dbt_poll_seconds": "60",
}
STATE_MACHINE_ARN = re.compile(r"arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}")


class SettingError(ValueError):
    """A setting of the DAG is missing or wrong; the message names it."""


def _whole_number(name: str, text: str | None, low: int, high: int) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise SettingError(f"{name}: expected a whole number, got {text!r}") from None
    if not low <= value <= high:
        raise SettingError(f"{name}: must be between {low} and {high}, got {value}")
    return value


def plan_run(filled_input: dict[str, Any], dag_id: str, run_id: str, setting: Any) -> dict[str, Any]:
    """Everything the start and wait tasks need, decided before any AWS call.

    `setting(name)` returns a setting's text or None. The result is what the tasks pass on
    through XCom (JSON), in camelCase like the run input.
    """
    machine = setting("serverless_dbt_state_machine_arn")
    if not machine or not STATE_MACHINE_ARN.fullmatch(machine.strip()):
        raise SettingError(
            "serverless_dbt_state_machine_arn: set it (Airflow Variable or environment) to the "
            f"ARN of the stage's dbt-run state machine, got {machine!r}"
        )
    machine = machine.strip()
    default_timeout = _whole_number(
        "serverless_dbt_default_timeout_seconds",
        setting("serverless_dbt_default_timeout_seconds"),
        60,
        86400,
    )
    poll = _whole_number("serverless_dbt_poll_seconds", setting("serverless_dbt_poll_seconds"), 1, 3600)
    name = execution_name(dag_id, run_id)
    total = wait_seconds(filled_input.get("timeoutSeconds") or default_timeout)
    return {
        "input": filled_input,
        "name": name,
        "stateMachineArn": machine,
        "executionArn": execution_arn(machine, name),
        "awsConnId": setting("serverless_dbt_aws_conn_id") or None,
        "region": setting("serverless_dbt_region") or None,
        "pollSeconds": poll,
        "waitSeconds": total,
        "waiterAttempts": waiter_attempts(total, poll),
    }


def input_from_params(params: dict[str, Any], conf: dict[str, Any] | None) -> dict[str, Any]:
    """The raw run input of a DAG run, from its params (the DAG's defaults, overridden by the
    trigger's conf, as Airflow merges them) and its conf.

    A field left empty in the trigger form arrives as null and means "not set", so the fields
    with no default (select, exclude, vars, retryOf, timeoutSeconds) are left out when null.
    Anything else reaches the validator as given, to be refused by name: a key of the conf
    that is not a field, a null for a field that has a default, a wrong type.
    """
    raw = {name: params[name] for name in FIELDS if params.get(name) is not None}
    for name, value in (conf or {}).items():
        if name not in FIELDS or (value is None and name in DEFAULTS):
            raw[name] = value
    return raw
