"""Warehouse credentials, from CREDENTIALS_SOURCE, as the variables a profile reads with
env_var(): one per key of the warehouse secret, for every dbt adapter (docs/configuration.md,
"Warehouse credentials"). A key that names a secret (password, token, private key...) becomes
DBT_ENV_SECRET_<KEY>, which dbt scrubs from its logs; any other key DBT_WAREHOUSE_<KEY>. Not
every key under dbt's prefix: dbt hands secret variables to Jinja as placeholders, so a port
could not be a number, and it would mask the host and port in every message that needs them.

- `env` (default): ECS has already injected them through the task definition's `secrets`
  (one per key the stage's `warehouseSecretKeys` names), so there is nothing to fetch.
- `secretsmanager:<arn>`: every top-level key of the secret's JSON object.
- `glue:<connection>`: the seed pattern's Glue connection: HOST, PORT and DBNAME from its JDBC
  URL, USERNAME and PASSWORD from the connection or its SECRET_ID / AuthenticationConfiguration
  secret (the keys of AWS's own database secrets).

The secret values also go to the Redactor, which keeps them out of everything else the
runner lets out.

A secret or connection that is refused, missing or malformed is CredentialsError (exit 3);
AWS that cannot be reached for now (a network error, a timeout, throttling, a 5xx) is
aws.AwsUnreachable (exit 5), which another attempt may get past.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import aws
from .redaction import is_secret_name

SECRET_PREFIX = "DBT_ENV_SECRET_"  # noqa: S105 (a variable name prefix, not a password)
PLAIN_PREFIX = "DBT_WAREHOUSE_"
JDBC_URL = re.compile(
    r"jdbc:(?P<engine>[a-z0-9]+)://(?P<host>[^:/?;]+)(?::(?P<port>\d+))?/(?P<dbname>[^?;]+)"
)
DEFAULT_PORTS = {"redshift": "5439", "postgresql": "5432", "mysql": "3306", "sqlserver": "1433"}


class CredentialsError(Exception):
    """Exit 3: the run cannot reach its warehouse credentials."""


@dataclass
class Credentials:
    env: dict[str, str] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)
    source: str = "env"


ClientFactory = Callable[[str], Any]


def env_name(key: str) -> str:
    """The variable a secret's key becomes: `password` is DBT_ENV_SECRET_PASSWORD,
    `private-key` DBT_ENV_SECRET_PRIVATE_KEY, `host` DBT_WAREHOUSE_HOST."""
    prefix = SECRET_PREFIX if is_secret_name(key) else PLAIN_PREFIX
    return prefix + re.sub(r"[^A-Z0-9]+", "_", key.upper()).strip("_")


def resolve_credentials(source: str, client: ClientFactory = aws.client) -> Credentials:
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
        unreachable = aws.unreachable("secretsmanager", f"read secret {secret_id}", error)
        if unreachable is not None:
            raise unreachable from None
        raise CredentialsError(f"secret {secret_id} could not be read ({_aws_error_code(error)})") from None
    try:
        value = json.loads(secret.get("SecretString") or "")
    except ValueError:
        raise CredentialsError(f"secret {secret_id} is not a JSON object") from None
    if not isinstance(value, dict):
        raise CredentialsError(f"secret {secret_id} is not a JSON object")
    return value


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    # Numbers and booleans as JSON writes them (5439, true); objects (a BigQuery keyfile) as
    # compact JSON, for the profile's `| fromjson`.
    return json.dumps(value, separators=(",", ":"))


def _from_secret(secret_id: str, client: ClientFactory) -> Credentials:
    value = _fetch_secret_json(secret_id, client)
    env: dict[str, str] = {}
    keys_of: dict[str, str] = {}
    secrets: list[str] = []
    for key, raw in value.items():
        if raw is None:
            continue
        name = env_name(key)
        if name in (SECRET_PREFIX, PLAIN_PREFIX):
            raise CredentialsError(
                f"secret {secret_id}: key {key[:40]!r} has no letter or digit to name a variable"
            )
        if name in keys_of:
            raise CredentialsError(
                f"secret {secret_id}: keys {keys_of[name][:40]!r} and {key[:40]!r} would both be {name}"
            )
        keys_of[name] = key
        env[name] = _as_text(raw)
        if is_secret_name(key):
            secrets.append(env[name])
    return Credentials(env=env, secrets=secrets, source="secretsmanager")


def _from_glue(connection_name: str, client: ClientFactory) -> Credentials:
    try:
        connection = client("glue").get_connection(Name=connection_name, HidePassword=False)["Connection"]
    except Exception as error:
        unreachable = aws.unreachable("glue", f"read connection {connection_name!r}", error)
        if unreachable is not None:
            raise unreachable from None
        raise CredentialsError(
            f"Glue connection {connection_name!r} could not be read ({_aws_error_code(error)})"
        ) from None
    properties: Mapping[str, str] = connection.get("ConnectionProperties") or {}
    url = properties.get("JDBC_CONNECTION_URL", "")
    match = JDBC_URL.match(url)
    if match is None:
        raise CredentialsError(
            f"Glue connection {connection_name!r}: JDBC_CONNECTION_URL is missing or not "
            "jdbc:<engine>://host[:port]/dbname"
        )
    env = {env_name("host"): match["host"], env_name("dbname"): match["dbname"]}
    port = match["port"] or DEFAULT_PORTS.get(match["engine"])
    if port:
        env[env_name("port")] = port
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
        env[env_name("username")] = str(user)
    if password:
        env[env_name("password")] = str(password)
        secrets.append(str(password))
    missing = [name for name in (env_name("username"), env_name("password")) if not env.get(name)]
    if missing:
        raise CredentialsError(f"Glue connection {connection_name!r} does not provide {', '.join(missing)}")
    return Credentials(env=env, secrets=secrets, source="glue")
