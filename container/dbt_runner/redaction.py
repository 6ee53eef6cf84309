"""Keeping secret values out of stdout, dbt.log and every artifact.

dbt scrubs the values of DBT_ENV_SECRET_* variables from its own log lines, but a password
can still surface in a database error message, in compiled SQL or in an artifact, and other
secrets (AWS keys, tokens) reach the process under other names; so every byte the runner lets
out passes through one Redactor.

Which values are secret is decided by name: a variable's, or a secret's key. DBT_ENV_SECRET_
marks a value for dbt, not for us: DBT_ENV_SECRET_HOST is a host name, kept readable in our
logs and artifacts, while DBT_ENV_SECRET_PASSWORD is masked everywhere.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterable, Mapping
from typing import TextIO

MASK = "*****"
# Shorter values would mask ordinary words all over the logs and protect next to nothing.
MIN_SECRET_LENGTH = 4
SECRET_NAME = re.compile(
    r"PASSWORD|PASSPHRASE|SECRET|TOKEN|PRIVATE[_.-]?KEY|CREDENTIAL|API[_.-]?KEY|ACCESS[_.-]?KEY|KEYFILE",
    re.IGNORECASE,
)
DBT_SECRET_PREFIX = "DBT_ENV_SECRET_"  # noqa: S105 (a variable name prefix, not a password)
# Settings whose names mention secrets but whose values only say where the secrets are: a
# failure's log must be able to show them.
NOT_SECRET = frozenset({"CREDENTIALS_SOURCE"})


def is_secret_name(name: str) -> bool:
    """Whether a variable or a secret's key names a secret value."""
    if name.upper() in NOT_SECRET:
        return False
    bare = name[len(DBT_SECRET_PREFIX) :] if name.upper().startswith(DBT_SECRET_PREFIX) else name
    return SECRET_NAME.search(bare) is not None


def secret_env_values(environ: Mapping[str, str]) -> list[str]:
    """Values of environment variables that are secret by their name, as ECS injects them."""
    return [value for name, value in environ.items() if is_secret_name(name) and value]


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        for secret in secrets:
            if not isinstance(secret, str) or len(secret) < MIN_SECRET_LENGTH:
                continue
            self._secrets.add(secret)
            # The same value as it appears inside a JSON string (artifacts are JSON).
            escaped = json.dumps(secret)[1:-1]
            if escaped != secret:
                self._secrets.add(escaped)
        if self._secrets:
            # Longest first, so a secret that contains another is masked whole.
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    @property
    def active(self) -> bool:
        return self._pattern is not None

    def text(self, value: str) -> str:
        if self._pattern is None:
            return value
        return self._pattern.sub(MASK, value)

    def data(self, value: bytes) -> bytes:
        if self._pattern is None:
            return value
        return self.text(value.decode("utf-8", errors="surrogateescape")).encode(
            "utf-8", errors="surrogateescape"
        )


class RedactingStream(io.TextIOBase):
    """Stands in for sys.stdout/sys.stderr: dbt binds its console logger to whatever
    sys.stdout is when each invocation starts. Buffers to line ends so that a secret split
    across two writes is still masked."""

    def __init__(self, target: TextIO, redactor: Redactor) -> None:
        super().__init__()
        self._target = target
        self._redactor = redactor
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        if "\n" in self._pending:
            complete, self._pending = self._pending.rsplit("\n", 1)
            self._target.write(self._redactor.text(complete + "\n"))
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._target.write(self._redactor.text(self._pending))
            self._pending = ""
        self._target.flush()

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._target, "encoding", "utf-8")


def environ_secrets() -> list[str]:
    return secret_env_values(os.environ)
