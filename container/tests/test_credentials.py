"""Credentials from Glue and Secrets Manager, read through real boto3 against a moto server,
become the DBT_REDSHIFT_* variables with the password marked secret."""

from __future__ import annotations

import json

import pytest
from conftest import Moto
from dbt_runner.credentials import CredentialsError, resolve_credentials


@pytest.fixture
def clients(moto: Moto):
    return moto.client


def no_clients(service: str) -> None:
    pytest.fail(f"no AWS client should be made, got one for {service}")


def test_env_source_fetches_nothing() -> None:
    credentials = resolve_credentials("env", no_clients)

    assert credentials.env == {}
    assert credentials.secrets == []


@pytest.mark.integration
def test_glue_connection_with_user_and_password_maps_to_redshift_variables(moto: Moto, clients) -> None:
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
        "DBT_REDSHIFT_HOST": "cluster.example.internal",
        "DBT_REDSHIFT_PORT": "5440",
        "DBT_REDSHIFT_DBNAME": "analytics",
        "DBT_REDSHIFT_USER": "dbt_runner",
        "DBT_REDSHIFT_PASSWORD": "glue-pass-4821",
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

    assert credentials.env["DBT_REDSHIFT_PORT"] == "5439"
    assert credentials.env["DBT_REDSHIFT_USER"] == "dbt"
    assert credentials.secrets == ["linked-pass-99"]


@pytest.mark.integration
def test_glue_connection_without_a_redshift_url_is_refused(moto: Moto, clients) -> None:
    moto.client("glue").create_connection(
        ConnectionInput={
            "Name": "warehouse-postgres",
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "JDBC_CONNECTION_URL": "jdbc:postgresql://h/db",
                "USERNAME": "u",
                "PASSWORD": "p",
            },
        }
    )

    with pytest.raises(CredentialsError, match="JDBC_CONNECTION_URL"):
        resolve_credentials("glue:warehouse-postgres", clients)


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
        "DBT_REDSHIFT_HOST": "h.example.internal",
        "DBT_REDSHIFT_PORT": "5439",
        "DBT_REDSHIFT_DBNAME": "dev",
        "DBT_REDSHIFT_USER": "dbt",
        "DBT_REDSHIFT_PASSWORD": "sm-pass-1234",
        "DBT_REDSHIFT_SCHEMA": "analytics",
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
def test_secret_missing_the_password_names_the_variable(moto: Moto, clients) -> None:
    arn = moto.client("secretsmanager").create_secret(
        Name="no-password", SecretString=json.dumps({"host": "h", "dbname": "d", "username": "u"})
    )["ARN"]

    with pytest.raises(CredentialsError, match="DBT_REDSHIFT_PASSWORD"):
        resolve_credentials(f"secretsmanager:{arn}", clients)


@pytest.mark.parametrize("source", ["vault:x", "glue:", "secretsmanager", "ENV"])
def test_unknown_source_names_the_setting(source: str) -> None:
    with pytest.raises(CredentialsError, match=r"^CREDENTIALS_SOURCE: "):
        resolve_credentials(source, no_clients)
