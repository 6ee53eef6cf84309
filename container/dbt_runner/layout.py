"""Where a run's artifacts go under ARTIFACTS_URI (docs/design.md, "Artifacts"):

    runs/<RUN_ID>/attempt-<N>/     one folder per attempt: a later attempt never overwrites
                                   what an earlier one stored
    runs/<RUN_ID>/last-attempt.json
                                   which attempt stored last, for readers that know only the
                                   run id (`retryOf`, `serverless-dbt docs RUN_ID`)
    latest/                        the last successful run's docs and artifacts

The TypeScript readers compute the same names (functions/shared/artifacts-layout.ts)."""

from __future__ import annotations

import json
from typing import Any

LAST_ATTEMPT_FILE = "last-attempt.json"
LATEST = "latest"


def run_folder(run_id: str) -> str:
    return f"runs/{run_id}"


def attempt_folder(run_id: str, attempt: int) -> str:
    return f"{run_folder(run_id)}/attempt-{attempt}"


def last_attempt_key(run_id: str) -> str:
    return f"{run_folder(run_id)}/{LAST_ATTEMPT_FILE}"


def last_attempt_record(run_id: str, attempt: int) -> bytes:
    record = {"runId": run_id, "attempt": attempt, "folder": f"attempt-{attempt}/"}
    return json.dumps(record, indent=2).encode()


def attempt_in(body: bytes) -> int | None:
    """The attempt a last-attempt.json names, or None when it names none."""
    try:
        record: Any = json.loads(body)
    except ValueError:
        return None
    attempt = record.get("attempt") if isinstance(record, dict) else None
    return attempt if isinstance(attempt, int) and not isinstance(attempt, bool) and attempt >= 1 else None
