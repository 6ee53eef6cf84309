"""The run's own deadline (docs/container.md, "The run's deadline"). Whether Step Functions
stops the task when RunDbt times out is not documented, so the runner does not rely on it: it
stops dbt itself shortly before the state's timer fires, and a timed-out run never keeps
running behind the overlap lock's back.

Pure: no clock, no signals. lifecycle.py arms the timer and stops dbt when it fires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# After the deadline, what must still fit before Step Functions' own timer fires: dbt's stop
# grace (the watchdog's wait for dbt to cancel its queries, STOP_GRACE_SECONDS), then storing
# the artifacts and summary.json, then ECS taking the stopped task to STOPPED (Fargate
# deprovisions its network interface first) and the .sync integration noticing.
STORE_SECONDS = 10.0
ECS_STOP_SECONDS = 60.0
# A short limit keeps at least half of its time for dbt: a 60 s run would otherwise have none.
MAX_MARGIN_SHARE = 0.5


@dataclass(frozen=True)
class Deadline:
    at: datetime
    limit_seconds: int
    margin_seconds: float

    @property
    def message(self) -> str:
        """summary.json's `error` for a run stopped at the deadline."""
        return (
            f"stopped at the run's deadline: its {self.limit_seconds} s limit less "
            f"{self.margin_seconds:g} s to stop dbt and store the artifacts"
        )

    def seconds_left(self, now: datetime) -> float:
        return (self.at - now).total_seconds()


def deadline_margin(limit_seconds: int, stop_grace_seconds: float) -> float:
    """How long before the limit the runner stops dbt."""
    margin = stop_grace_seconds + STORE_SECONDS + ECS_STOP_SECONDS
    return min(margin, limit_seconds * MAX_MARGIN_SHARE)


def run_deadline(attempt_started_at: datetime, limit_seconds: int, stop_grace_seconds: float) -> Deadline:
    """`attempt_started_at`: when RunDbt's timer started (RUN_ATTEMPT_STARTED_AT), or the
    container's own start when the task was started without the state machine."""
    margin = deadline_margin(limit_seconds, stop_grace_seconds)
    return Deadline(attempt_started_at + timedelta(seconds=limit_seconds - margin), limit_seconds, margin)
