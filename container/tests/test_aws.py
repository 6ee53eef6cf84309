"""Which botocore errors mean AWS could not be reached for now (exit 5) and which are the run's
settings (exit 3), on the exception objects botocore itself raises, and the retries the
runner's clients are made with."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ProxyConnectionError,
    ReadTimeoutError,
    ResponseStreamingError,
    SSLError,
)
from dbt_runner import aws
from dbt_runner.aws import AwsUnreachable, unreachable, unreachable_cause

ENDPOINT = "https://secretsmanager.eu-west-1.amazonaws.com/"


def client_error(code: str, status: int, retries: int = 0, operation: str = "GetSecretValue") -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": "whatever AWS said"},
            "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": retries},
        },
        operation,
    )


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (EndpointConnectionError(endpoint_url=ENDPOINT), f"EndpointConnectionError at {ENDPOINT}"),
        (ConnectTimeoutError(endpoint_url=ENDPOINT), f"ConnectTimeoutError at {ENDPOINT}"),
        (ReadTimeoutError(endpoint_url=ENDPOINT), f"ReadTimeoutError at {ENDPOINT}"),
        (ConnectionClosedError(endpoint_url=ENDPOINT), f"ConnectionClosedError at {ENDPOINT}"),
        (ResponseStreamingError(error="IncompleteRead"), "ResponseStreamingError"),
        (client_error("ThrottlingException", 400, retries=2),
         "ThrottlingException, HTTP 400, after 3 attempts"),
        (client_error("TooManyRequestsException", 429), "TooManyRequestsException, HTTP 429"),
        (client_error("SlowDown", 503, operation="GetObject"), "SlowDown, HTTP 503"),
        (client_error("InternalServiceError", 500, retries=2),
         "InternalServiceError, HTTP 500, after 3 attempts"),
        (client_error("InternalServiceException", 500), "InternalServiceException, HTTP 500"),
        # A 5xx is the service failing, whatever its code.
        (client_error("SomethingNew", 502), "SomethingNew, HTTP 502"),
    ],
)  # fmt: skip
def test_network_errors_throttling_and_5xx_are_aws_unreachable(error: Exception, cause: str) -> None:
    assert unreachable_cause(error) == cause


@pytest.mark.parametrize(
    "error",
    [
        client_error("AccessDeniedException", 400),
        client_error("ResourceNotFoundException", 400),
        client_error("DecryptionFailure", 400),
        client_error("InvalidRequestException", 400),
        client_error("EntityNotFoundException", 400, operation="GetConnection"),
        client_error("AccessDenied", 403, operation="GetObject"),
        NoCredentialsError(),
        # A certificate that does not verify is this host's or proxy's setup, not a passing fault.
        SSLError(endpoint_url=ENDPOINT, error="certificate verify failed"),
        ValueError("not botocore's"),
    ],
)
def test_refusals_and_other_errors_are_not_aws_unreachable(error: Exception) -> None:
    assert unreachable_cause(error) is None
    assert unreachable("secretsmanager", "read secret s", error) is None


def test_a_proxy_that_cannot_be_reached_is_named_without_its_url_which_may_hold_a_password() -> None:
    error = ProxyConnectionError(proxy_url="http://runner:proxy-pass-31@proxy.internal:3128", error="refused")

    assert unreachable_cause(error) == "ProxyConnectionError"


def test_the_error_names_the_service_what_was_read_and_the_cause() -> None:
    error = unreachable(
        "glue",
        "read connection 'warehouse'",
        ReadTimeoutError(endpoint_url="https://glue.eu-west-1.amazonaws.com/"),
    )

    assert isinstance(error, AwsUnreachable)
    assert str(error) == (
        "Glue could not be reached to read connection 'warehouse' "
        "(ReadTimeoutError at https://glue.eu-west-1.amazonaws.com/)"
    )


def test_clients_retry_in_standard_mode_with_short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")

    config = aws.client("secretsmanager").meta.config

    assert config.retries == {"mode": "standard", "total_max_attempts": aws.MAX_ATTEMPTS}
    assert aws.MAX_ATTEMPTS > 1
    assert (config.connect_timeout, config.read_timeout) == (10, 30)
