"""Warehouse credentials for the redshift target, from CREDENTIALS_SOURCE.

- `env` (default): ECS has already injected DBT_REDSHIFT_* through the task definition's
  `secrets`, so there is nothing to fetch.
- `glue:<connection>`: the seed pattern's Glue connection (JDBC URL plus USERNAME/PASSWORD,
  or a SECRET_ID / AuthenticationConfiguration secret).
- `secretsmanager:<arn>`: a JSON secret in the shape AWS uses for Redshift
  (host, port, dbname, username, password; schema optional).

Whatever is fetched becomes the DBT_REDSHIFT_* variables profiles.yml reads, and every
password is handed to the Redactor before dbt starts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .redaction import SECRET_NAME

ENV_PREFIX = "DBT_REDSHIFT_"
SECRET_KEYS = {
    "host": "HOST",
    "port": "PORT",
    "dbname": "DBNAME",
    "database": "DBNAME",
    "username": "USER",
    "user": "USER",
    "password": "PASSWORD",
    "schema": "SCHEMA",
}
JDBC_URL = re.compile(r"jdbc:redshift://(?P<host>[^:/?]+)(?::(?P<port>\d+))?/(?P<dbname>[^?;]+)")


class CredentialsError(Exception):
    """Exit 3: the run cannot reach its warehouse credentials."""


@dataclass
class Credentials:
    env: dict[str, str] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)
    source: str = "env"


ClientFactory = Callable[[str], Any]


def _default_client(service: str) -> Any:
    import boto3  # noqa: PLC0415 - only runs that fetch credentials pay for boto3's import

    return boto3.client(service)


def resolve_credentials(source: str, client: ClientFactory = _default_client) -> Credentials:
    kind, _, name = source.partition(":")
    if kind == "env" and not name:
        return Credentials(source="env")
    if kind == "glue" and name:
        return _from_glue(name, client)
    if kind == "secretsmanager" and name:
        return _from_secret(name, client)
    raise CredentialsError(
        f"CREDENTIALS_SOURCE: expected env, glue:<connection> or secretsmanager:<arn>, got {source[:80]!r}"
    )


def _aws_error_code(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", type(error).__name__))
    return type(error).__name__


def _fetch_secret_json(secret_id: str, client: ClientFactory) -> dict[str, Any]:
    try:
        secret = client("secretsmanager").get_secret_value(SecretId=secret_id)
    except Exception as error:  # botocore's errors are generated classes; the code says it all
        raise CredentialsError(f"secret {secret_id} could not be read ({_aws_error_code(error)})") from None
    try:
        value = json.loads(secret.get("SecretString") or "")
    except ValueError:
        raise CredentialsError(f"secret {secret_id} is not a JSON object") from None
    if not isinstance(value, dict):
        raise CredentialsError(f"secret {secret_id} is not a JSON object")
    return value


def _from_secret(secret_id: str, client: ClientFactory) -> Credentials:
    value = _fetch_secret_json(secret_id, client)
    env: dict[str, str] = {}
    for key, raw in value.items():
        target = SECRET_KEYS.get(key)
        if target is not None and raw is not None:
            env[ENV_PREFIX + target] = str(raw)
    _require(env, ("HOST", "USER", "PASSWORD", "DBNAME"), f"secret {secret_id}")
    secrets = [str(raw) for key, raw in value.items() if SECRET_NAME.search(key) and raw]
    return Credentials(env=env, secrets=secrets, source="secretsmanager")


def _from_glue(connection_name: str, client: ClientFactory) -> Credentials:
    try:
        connection = client("glue").get_connection(Name=connection_name, HidePassword=False)["Connection"]
    except Exception as error:
        raise CredentialsError(
            f"Glue connection {connection_name!r} could not be read ({_aws_error_code(error)})"
        ) from None
    properties: Mapping[str, str] = connection.get("ConnectionProperties") or {}
    url = properties.get("JDBC_CONNECTION_URL", "")
    match = JDBC_URL.match(url)
    if match is None:
        raise CredentialsError(
            f"Glue connection {connection_name!r}: JDBC_CONNECTION_URL is missing or not "
            "jdbc:redshift://host:port/dbname"
        )
    env = {
        ENV_PREFIX + "HOST": match["host"],
        ENV_PREFIX + "PORT": match["port"] or "5439",
        ENV_PREFIX + "DBNAME": match["dbname"],
    }
    secrets: list[str] = []
    secret_id = properties.get("SECRET_ID") or (connection.get("AuthenticationConfiguration") or {}).get(
        "SecretArn"
    )
    if secret_id:
        stored = _fetch_secret_json(secret_id, client)
        user, password = stored.get("username"), stored.get("password")
    else:
        user, password = properties.get("USERNAME"), properties.get("PASSWORD")
    if user:
        env[ENV_PREFIX + "USER"] = str(user)
    if password:
        env[ENV_PREFIX + "PASSWORD"] = str(password)
        secrets.append(str(password))
    _require(env, ("USER", "PASSWORD"), f"Glue connection {connection_name!r}")
    return Credentials(env=env, secrets=secrets, source="glue")


def _require(env: Mapping[str, str], names: tuple[str, ...], where: str) -> None:
    missing = [ENV_PREFIX + name for name in names if not env.get(ENV_PREFIX + name)]
    if missing:
        raise CredentialsError(f"{where} does not provide {', '.join(missing)}")
