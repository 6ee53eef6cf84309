"""Credentials from Glue and Secrets Manager, read through real boto3 against a moto server,
become the variables a profile reads (DBT_WAREHOUSE_<KEY>, and DBT_ENV_SECRET_<KEY> for a
secret's), with the secrets marked for the Redactor."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import FAKE_AWS, Moto, unreachable_aws_env
from dbt_runner import aws
from dbt_runner.aws import AwsUnreachable
from dbt_runner.credentials import CredentialsError, env_name, resolve_credentials


@pytest.fixture
def clients(moto: Moto):
    return moto.client


def no_clients(service: str) -> None:
    pytest.fail(f"no AWS client should be made, got one for {service}")


VARIABLES = json.loads(
    (Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "warehouse-variables.json").read_text()
)


@pytest.mark.parametrize(("key", "variable"), VARIABLES["pairs"])
def test_each_key_becomes_its_variable_as_the_stack_names_it(key: str, variable: str) -> None:
    assert env_name(key) == variable


def test_env_source_fetches_nothing() -> None:
    credentials = resolve_credentials("env", no_clients)

    assert credentials.env == {}
    assert credentials.secrets == []


@pytest.mark.integration
def test_glue_connection_with_user_and_password_maps_to_the_secret_variables(moto: Moto, clients) -> None:
    moto.client("glue").create_connection(
        ConnectionInput={
            "Name": "warehouse-plain",
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "JDBC_CONNECTION_URL": "jdbc:redshift://cluster.example.internal:5440/analytics",
                "USERNAME": "dbt_runner",
                "PASSWORD": "glue-pass-4821",
            },
        }
    )

    credentials = resolve_credentials("glue:warehouse-plain", clients)

    assert credentials.env == {
        "DBT_WAREHOUSE_HOST": "cluster.example.internal",
        "DBT_WAREHOUSE_PORT": "5440",
        "DBT_WAREHOUSE_DBNAME": "analytics",
        "DBT_WAREHOUSE_USERNAME": "dbt_runner",
        "DBT_ENV_SECRET_PASSWORD": "glue-pass-4821",
    }
    assert credentials.secrets == ["glue-pass-4821"]


@pytest.mark.integration
def test_glue_connection_with_a_secret_id_reads_the_secret(moto: Moto, clients) -> None:
    arn = moto.client("secretsmanager").create_secret(
        Name="glue-linked", SecretString=json.dumps({"username": "dbt", "password": "linked-pass-99"})
    )["ARN"]
    moto.client("glue").create_connection(
        ConnectionInput={
            "Name": "warehouse-linked",
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "JDBC_CONNECTION_URL": "jdbc:redshift://c.example.internal/dev",
                "SECRET_ID": arn,
            },
        }
    )

    credentials = resolve_credentials("glue:warehouse-linked", clients)

    assert credentials.env["DBT_WAREHOUSE_PORT"] == "5439"  # Redshift's, the URL gave none
    assert credentials.env["DBT_WAREHOUSE_USERNAME"] == "dbt"
    assert credentials.secrets == ["linked-pass-99"]


@pytest.mark.integration
def test_glue_connection_to_postgres_gets_its_default_port(moto: Moto, clients) -> None:
    moto.client("glue").create_connection(
        ConnectionInput={
            "Name": "warehouse-postgres",
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "JDBC_CONNECTION_URL": "jdbc:postgresql://pg.example.internal/shop",
                "USERNAME": "u",
                "PASSWORD": "pg-pass-5150",
            },
        }
    )

    credentials = resolve_credentials("glue:warehouse-postgres", clients)

    assert credentials.env["DBT_WAREHOUSE_HOST"] == "pg.example.internal"
    assert credentials.env["DBT_WAREHOUSE_PORT"] == "5432"
    assert credentials.env["DBT_WAREHOUSE_DBNAME"] == "shop"


@pytest.mark.integration
def test_glue_connection_without_a_jdbc_url_is_refused(moto: Moto, clients) -> None:
    moto.client("glue").create_connection(
        ConnectionInput={
            "Name": "warehouse-odd",
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "JDBC_CONNECTION_URL": "postgres://h/db",
                "USERNAME": "u",
                "PASSWORD": "p",
            },
        }
    )

    with pytest.raises(CredentialsError, match="JDBC_CONNECTION_URL"):
        resolve_credentials("glue:warehouse-odd", clients)


@pytest.mark.integration
def test_secrets_manager_secret_in_the_aws_redshift_shape(moto: Moto, clients) -> None:
    arn = moto.client("secretsmanager").create_secret(
        Name="warehouse-json",
        SecretString=json.dumps(
            {"engine": "redshift", "host": "h.example.internal", "port": 5439, "dbname": "dev",
             "username": "dbt", "password": "sm-pass-1234", "schema": "analytics"}
        ),
    )["ARN"]  # fmt: skip

    credentials = resolve_credentials(f"secretsmanager:{arn}", clients)

    assert credentials.env == {
        "DBT_WAREHOUSE_ENGINE": "redshift",
        "DBT_WAREHOUSE_HOST": "h.example.internal",
        "DBT_WAREHOUSE_PORT": "5439",
        "DBT_WAREHOUSE_DBNAME": "dev",
        "DBT_WAREHOUSE_USERNAME": "dbt",
        "DBT_ENV_SECRET_PASSWORD": "sm-pass-1234",
        "DBT_WAREHOUSE_SCHEMA": "analytics",
    }
    assert credentials.secrets == ["sm-pass-1234"]


@pytest.mark.integration
def test_secret_that_is_not_json_is_refused_without_echoing_it(moto: Moto, clients) -> None:
    arn = moto.client("secretsmanager").create_secret(Name="not-json", SecretString="raw-password-777")["ARN"]

    with pytest.raises(CredentialsError) as raised:
        resolve_credentials(f"secretsmanager:{arn}", clients)

    assert "not a JSON object" in str(raised.value)
    assert "raw-password-777" not in str(raised.value)


@pytest.mark.integration
def test_any_adapters_secret_becomes_its_keys_as_variables(moto: Moto, clients) -> None:
    # A Snowflake key pair and a BigQuery keyfile: the profile reads what the secret holds.
    keyfile = {"type": "service_account", "private_key": "-----BEGIN KEY-----abc"}
    arn = moto.client("secretsmanager").create_secret(
        Name="snowflake-ish",
        SecretString=json.dumps(
            {"account": "xy12345", "user": "DBT", "private-key": "pk-9876-secret", "keyfile_json": keyfile,
             "warehouse": None, "threads": 8}
        ),
    )["ARN"]  # fmt: skip

    credentials = resolve_credentials(f"secretsmanager:{arn}", clients)

    assert credentials.env == {
        "DBT_WAREHOUSE_ACCOUNT": "xy12345",
        "DBT_WAREHOUSE_USER": "DBT",
        "DBT_ENV_SECRET_PRIVATE_KEY": "pk-9876-secret",
        "DBT_ENV_SECRET_KEYFILE_JSON": json.dumps(keyfile, separators=(",", ":")),
        "DBT_WAREHOUSE_THREADS": "8",
    }
    assert sorted(credentials.secrets) == sorted(
        ["pk-9876-secret", json.dumps(keyfile, separators=(",", ":"))]
    )


@pytest.mark.integration
def test_two_keys_that_would_make_one_variable_are_refused_by_name_not_value(moto: Moto, clients) -> None:
    arn = moto.client("secretsmanager").create_secret(
        Name="clashing", SecretString=json.dumps({"db-name": "value-one-11", "db_name": "value-two-22"})
    )["ARN"]

    with pytest.raises(CredentialsError) as raised:
        resolve_credentials(f"secretsmanager:{arn}", clients)

    assert "'db-name' and 'db_name' would both be DBT_WAREHOUSE_DB_NAME" in str(raised.value)
    assert "value-" not in str(raised.value)


@pytest.mark.parametrize("source", ["vault:x", "glue:", "secretsmanager", "ENV"])
def test_unknown_source_names_the_setting(source: str) -> None:
    with pytest.raises(CredentialsError, match=r"^CREDENTIALS_SOURCE: "):
        resolve_credentials(source, no_clients)


class AwsAnswering:
    """A stand-in AWS endpoint on 127.0.0.1 that answers every request with one JSON error, as
    Secrets Manager and Glue answer (their JSON protocol), and counts the requests: the real
    boto3 client, its retries and its error parsing, against an answer moto cannot give."""

    def __init__(self, status: int, error_type: str) -> None:
        answer = json.dumps({"__type": error_type, "message": "stand-in answer"}).encode()
        self.requests = 0
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stand_in.requests += 1
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def answering(monkeypatch: pytest.MonkeyPatch):
    started: list[AwsAnswering] = []

    def start(status: int, error_type: str) -> AwsAnswering:
        stand_in = AwsAnswering(status, error_type)
        started.append(stand_in)
        for name, value in {**FAKE_AWS, "AWS_ENDPOINT_URL": stand_in.endpoint}.items():
            monkeypatch.setenv(name, value)
        return stand_in

    yield start
    for stand_in in started:
        stand_in.close()


SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:warehouse-AbCdEf"


@pytest.mark.integration
@pytest.mark.parametrize(
    ("status", "error_type"),
    [(400, "ThrottlingException"), (400, "TooManyRequestsException"), (500, "InternalServiceError")],
)
def test_throttling_or_a_service_error_that_outlasts_boto3s_retries_is_aws_unreachable(
    answering, status: int, error_type: str
) -> None:
    stand_in = answering(status, error_type)

    with pytest.raises(AwsUnreachable) as raised:
        resolve_credentials(f"secretsmanager:{SECRET_ARN}")

    assert stand_in.requests == aws.MAX_ATTEMPTS
    assert str(raised.value) == (
        f"Secrets Manager could not be reached to read secret {SECRET_ARN} "
        f"({error_type}, HTTP {status}, after {aws.MAX_ATTEMPTS} attempts)"
    )


@pytest.mark.integration
def test_a_glue_service_error_is_aws_unreachable_naming_glue_and_the_connection(answering) -> None:
    answering(500, "InternalServiceException")

    with pytest.raises(AwsUnreachable, match=r"^Glue could not be reached to read connection 'warehouse' "):
        resolve_credentials("glue:warehouse")


@pytest.mark.integration
def test_access_denied_stays_a_credentials_error_with_the_same_message_and_no_retry(answering) -> None:
    stand_in = answering(400, "AccessDeniedException")

    with pytest.raises(CredentialsError) as raised:
        resolve_credentials(f"secretsmanager:{SECRET_ARN}")

    assert stand_in.requests == 1
    assert str(raised.value) == f"secret {SECRET_ARN} could not be read (AccessDeniedException)"


@pytest.mark.integration
@pytest.mark.parametrize(
    ("source", "message"),
    [
        (f"secretsmanager:{SECRET_ARN}",
         f"Secrets Manager could not be reached to read secret {SECRET_ARN} "),
        ("glue:warehouse", "Glue could not be reached to read connection 'warehouse' "),
    ],
)  # fmt: skip
def test_an_endpoint_that_refuses_connections_is_aws_unreachable(
    monkeypatch: pytest.MonkeyPatch, source: str, message: str
) -> None:
    environment = unreachable_aws_env()
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(AwsUnreachable) as raised:
        resolve_credentials(source)

    assert str(raised.value) == f"{message}(EndpointConnectionError at {environment['AWS_ENDPOINT_URL']}/)"


@pytest.mark.integration
def test_a_missing_secret_in_moto_stays_a_credentials_error(moto: Moto, clients) -> None:
    with pytest.raises(CredentialsError) as raised:
        resolve_credentials(f"secretsmanager:{SECRET_ARN}", clients)

    assert str(raised.value) == f"secret {SECRET_ARN} could not be read (ResourceNotFoundException)"
