"""Where a run's artifacts go under ARTIFACTS_URI (docs/design.md, "Artifacts"):

    runs/<RUN_ID>/attempt-<N>/     one folder per attempt: a later attempt never overwrites
                                   what an earlier one stored
    runs/<RUN_ID>/last-attempt.json
                                   which attempt stored last, for readers that know only the
                                   run id (`retryOf`, `serverless-dbt docs RUN_ID`)
    latest/                        the last successful run's docs and artifacts
    jobs/<JOB>/last-success.json   the job's last successful run that built: its attempt's folder,
                                   whose manifest.json and sources.json a state-aware run
                                   (`only: changed`) compares with
    jobs/<JOB>/successes/<FINISHED>-<RUN_ID>.json
                                   the same pointer, one per successful run, never replaced

The TypeScript readers compute the same names (functions/shared/artifacts-layout.ts)."""

from __future__ import annotations

import json
from typing import Any

LAST_ATTEMPT_FILE = "last-attempt.json"
LATEST = "latest"
LAST_SUCCESS_FILE = "last-success.json"


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


def job_folder(job: str) -> str:
    return f"jobs/{job}"


def last_success_key(job: str) -> str:
    return f"{job_folder(job)}/{LAST_SUCCESS_FILE}"


def successes_folder(job: str) -> str:
    return f"{job_folder(job)}/successes"


def compact_time(instant: str) -> str:
    """`2026-12-01T22:15:08Z` as `20261201T221508Z`: names that sort as the times do."""
    return instant.replace("-", "").replace(":", "").split(".")[0].rstrip("Z") + "Z"


def success_key(job: str, finished_at: str, run_id: str) -> str:
    return f"{successes_folder(job)}/{compact_time(finished_at)}-{run_id}.json"


def success_record(run_id: str, attempt: int, finished_at: str, command: str) -> bytes:
    """A successful run's pointer (jobs/<JOB>/last-success.json and successes/): the folder is
    the attempt's own, from the store's root."""
    record = {
        "runId": run_id,
        "attempt": attempt,
        "folder": f"{attempt_folder(run_id, attempt)}/",
        "finishedAt": finished_at,
        "command": command,
    }
    return json.dumps(record, indent=2).encode()
