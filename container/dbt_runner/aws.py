"""The runner's AWS clients (Secrets Manager, Glue, S3), and which of their errors mean that
AWS could not be reached for now rather than that the run's settings are wrong.

Unreachable (exit 5, AwsUnreachable) is what another attempt a minute later may not meet:
no connection to the endpoint, a connect or read timeout, a connection closed mid-answer,
throttling that outlasted boto3's own retries, or the service failing (a 5xx). A refusal
(AccessDenied, ResourceNotFound, a KMS key that may not be used) is the run's configuration
and stays exit 3: another attempt would meet it again.

boto3 retries each call itself first: standard mode, MAX_ATTEMPTS attempts with backoff, and
timeouts short enough that a task with no route to AWS gives up within a minute or so (3
connect timeouts and the backoff between them), not the minutes boto3's 60 s defaults would
take per attempt.
"""

from __future__ import annotations

from typing import Any

# Attempts per call, the first included (botocore's `max_attempts` would count only retries).
MAX_ATTEMPTS = 3
CONNECT_TIMEOUT_SECONDS = 10
READ_TIMEOUT_SECONDS = 30

# botocore's names for a request that never got an answer.
NETWORK_ERRORS = frozenset(
    {
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "ConnectionClosedError",
        "ResponseStreamingError",
        "ProxyConnectionError",
    }
)
# The codes AWS answers when it will not serve a request now (botocore's standard retry mode
# treats the same codes as throttling), and those of a service failing (S3's SlowDown is 503).
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
    }
)
SERVICE_ERROR_CODES = frozenset(
    {
        "InternalServiceError",  # Secrets Manager
        "InternalServiceException",  # Glue
        "InternalFailure",
        "InternalError",  # S3
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
SERVICE_NAMES = {"secretsmanager": "Secrets Manager", "glue": "Glue", "s3": "S3"}


class AwsUnreachable(Exception):
    """Exit 5: AWS could not be reached from the task for now; another attempt may."""


def client(service: str) -> Any:
    import boto3  # noqa: PLC0415 - only runs that talk to AWS pay for boto3's import
    from botocore.config import Config  # noqa: PLC0415

    return boto3.client(
        service,
        config=Config(
            retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=READ_TIMEOUT_SECONDS,
        ),
    )


def unreachable_cause(error: BaseException) -> str | None:
    """What made AWS unreachable, in botocore's or AWS's own names (`EndpointConnectionError at
    https://…`, `ThrottlingException, HTTP 400, after 3 attempts`); None for any other error,
    which is the run's to fix. Never the request's or the answer's content: only names, the
    endpoint and numbers."""
    name = type(error).__name__
    if name in NETWORK_ERRORS:
        # A proxy's URL may carry its password: only an AWS endpoint is named.
        endpoint = getattr(error, "kwargs", {}).get("endpoint_url")
        return f"{name} at {endpoint}" if isinstance(endpoint, str) and endpoint else name
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return None
    code = str(response.get("Error", {}).get("Code") or "")
    metadata = response.get("ResponseMetadata") or {}
    status = metadata.get("HTTPStatusCode")
    server_error = isinstance(status, int) and status >= 500
    if code not in THROTTLING_CODES and code not in SERVICE_ERROR_CODES and not server_error:
        return None
    parts = [code or name]
    if isinstance(status, int):
        parts.append(f"HTTP {status}")
    retries = metadata.get("RetryAttempts")
    if isinstance(retries, int) and retries > 0:
        parts.append(f"after {retries + 1} attempts")
    return ", ".join(parts)


def unreachable(service: str, action: str, error: BaseException) -> AwsUnreachable | None:
    """AwsUnreachable naming the service, what the runner was doing and the cause, when
    `error` is AWS being unreachable; None otherwise."""
    cause = unreachable_cause(error)
    if cause is None:
        return None
    return AwsUnreachable(f"{SERVICE_NAMES.get(service, service)} could not be reached to {action} ({cause})")
