"""Secret values are masked in text, in JSON-escaped form and across split writes."""

from __future__ import annotations

import io
import json

from dbt_runner.redaction import MASK, RedactingStream, Redactor, secret_env_values


def test_masks_every_occurrence_and_the_json_escaped_form() -> None:
    secret = 'se"cr\\et-value'
    redactor = Redactor([secret])
    text = f"plain {secret} and json {json.dumps({'password': secret})}"

    masked = redactor.text(text)

    assert secret not in masked
    assert json.dumps(secret)[1:-1] not in masked
    assert masked.count(MASK) == 2


def test_longer_secret_is_masked_whole_when_it_contains_a_shorter_one() -> None:
    redactor = Redactor(["hunter2", "hunter2-and-more"])

    assert redactor.text("x hunter2-and-more y") == f"x {MASK} y"


def test_values_too_short_to_be_secrets_are_left_alone() -> None:
    redactor = Redactor(["abc", ""])

    assert not redactor.active
    assert redactor.text("abc") == "abc"


def test_bytes_that_are_not_utf8_survive_redaction() -> None:
    redactor = Redactor(["topsecret"])

    assert redactor.data(b"\xff\xfe topsecret") == b"\xff\xfe " + MASK.encode()


def test_secret_env_values_are_picked_by_variable_name() -> None:
    environ = {
        "DBT_ENV_SECRET_PASSWORD": "pw-1234",
        "DBT_ENV_SECRET_TOKEN": "tok-5678",
        "SNOWFLAKE_PRIVATE_KEY": "pk-0000",
        "AWS_SECRET_ACCESS_KEY": "aws-secret",
        "AWS_SESSION_TOKEN": "aws-session",
        "PATH": "/usr/bin",
    }

    assert sorted(secret_env_values(environ)) == [
        "aws-secret",
        "aws-session",
        "pk-0000",
        "pw-1234",
        "tok-5678",
    ]


def test_connection_values_and_settings_that_only_name_secrets_stay_readable() -> None:
    # dbt scrubs DBT_ENV_SECRET_HOST from its own lines; ours keep the host, and the
    # credentials source, so that a connection failure can be read.
    environ = {
        "DBT_ENV_SECRET_HOST": "warehouse.example.internal",
        "DBT_ENV_SECRET_USERNAME": "dbt_runner",
        "DBT_ENV_SECRET_PORT": "5439",
        "CREDENTIALS_SOURCE": "secretsmanager:arn:aws:secretsmanager:eu-west-1:1:secret:w",
    }

    assert secret_env_values(environ) == []


def test_stream_masks_a_secret_split_across_writes() -> None:
    target = io.StringIO()
    stream = RedactingStream(target, Redactor(["split-secret"]))

    stream.write("before split-")
    stream.write("secret after\nnext line ")
    stream.write("split-secret")
    stream.flush()

    assert target.getvalue() == f"before {MASK} after\nnext line {MASK}"
