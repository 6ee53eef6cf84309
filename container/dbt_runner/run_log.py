"""The runner's own log: one JSON object per line on stdout, between dbt's text lines, so a
step's duration and the run's outcome can be read without parsing dbt's output."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, TextIO


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def log_line(out: TextIO, event: str, **fields: Any) -> None:
    out.write(json.dumps({"event": event, "time": now(), **fields}, default=str) + "\n")
    out.flush()
