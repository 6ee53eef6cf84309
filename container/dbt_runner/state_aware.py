"""State-aware runs (`only: changed`, docs/run-input.md "State-aware runs"): which dbt selection
the run gets, and what its summary says about what it built and what it left alone.

The run compares with its job's last successful run (jobs/<JOB>/last-success.json, layout.py):
dbt's `state:modified+` against that run's manifest.json, and `source_status:fresher+` against
its sources.json with this run's own freshness check (target/sources.json). When either side of
the comparison is missing, nothing can be said about what changed: the run builds its whole
selection and says why.

With STATE_URI (a pull request's build) it compares with the state in that folder instead, on
code alone: `state:modified+`, no freshness comparison. Pure: no dbt, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

MODIFIED = "state:modified+"
FRESHER = "source_status:fresher+"


@dataclass(frozen=True)
class Comparison:
    """What a state-aware run compares with. `compared_with` is None when it builds everything,
    and `because` then says why."""

    job: str
    compared_with: str | None = None
    because: str | None = None
    # The sources whose newest row is newer than at the run compared with (for the summary).
    fresher_sources: tuple[str, ...] = ()
    # STATE_URI, when the state came from there rather than from the job's last success: then
    # only code is compared, and `compared_with` is the run id its summary.json names, or the
    # URI itself when it names none.
    state_uri: str | None = None

    @property
    def compares_freshness(self) -> bool:
        return self.state_uri is None

    def to_json(self, models: int, built: int) -> dict[str, Any]:
        """summary.json's `stateAware`: `models`, the project's enabled models; `built`, the
        models the command ran."""
        record: dict[str, Any] = {"comparedWith": self.compared_with, "models": models, "built": built}
        if self.state_uri is not None:
            record["stateUri"] = self.state_uri
        if self.compared_with is None:
            record["deferred"] = 0
            record["reason"] = f"{self.because}: built everything"
            return record
        deferred = max(models - built, 0)
        record["deferred"] = deferred
        if self.compares_freshness:
            record["fresherSources"] = list(self.fresher_sources)
        if self.compared_with == self.state_uri:
            since = f"since the state in {self.state_uri}"
        else:
            since = f"since run {self.compared_with}"
        if built == 0:
            record["reason"] = f"nothing changed {since}: no model built, {deferred} deferred"
        else:
            what = "changed or read newer source data" if self.compares_freshness else "changed"
            record["reason"] = f"{built} of {models} models {what} {since}; {deferred} deferred"
        return record


def no_earlier_success(job: str) -> Comparison:
    return Comparison(job, because=f"no earlier successful run of job {job} to compare with")


def no_manifest_under(job: str, state_uri: str) -> Comparison:
    return Comparison(job, because=f"no manifest.json under {state_uri}", state_uri=state_uri)


def state_run_id(summary: bytes | None) -> str | None:
    """The run id a state folder's summary.json names (the run whose artifacts they are), or
    None when there is no summary or it names none."""
    if summary is None:
        return None
    try:
        record = json.loads(summary)
    except ValueError:
        return None
    run_id = record.get("runId") if isinstance(record, dict) else None
    return run_id if isinstance(run_id, str) and run_id else None


def changed_selection(select_words: Iterable[str] | None, *, with_fresher: bool) -> list[str]:
    """dbt --select words for the nodes that changed, within the run's own selection: each of
    its words (a union) intersected with each state criterion, as `word,criterion`."""
    criteria = [MODIFIED, FRESHER] if with_fresher else [MODIFIED]
    words = list(select_words or [])
    if not words:
        return criteria
    return [f"{word},{criterion}" for word in words for criterion in criteria]


def pointer_folder(body: bytes) -> tuple[str, str] | None:
    """(runId, folder) from a last-success.json, or None when it names neither."""
    try:
        record = json.loads(body)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    run_id, folder = record.get("runId"), record.get("folder")
    if not isinstance(run_id, str) or not isinstance(folder, str) or not folder or ".." in folder:
        return None
    return run_id, folder.rstrip("/")


def fresher_sources(previous: bytes, current: bytes) -> tuple[str, ...]:
    """The sources whose max_loaded_at in `current` (this run's sources.json) is later than in
    `previous` (the compared run's), or that `previous` did not check: what dbt's
    `source_status:fresher` selects."""
    before = _loaded_at(previous)
    after = _loaded_at(current)
    return tuple(sorted(uid for uid, loaded in after.items() if uid not in before or loaded > before[uid]))


def _loaded_at(body: bytes) -> dict[str, str]:
    try:
        artifact = json.loads(body)
    except ValueError:
        return {}
    results = artifact.get("results", []) if isinstance(artifact, dict) else []
    # ISO-8601 times of one writer compare as text.
    return {
        str(result["unique_id"]): str(result["max_loaded_at"])
        for result in results
        if isinstance(result, dict) and result.get("unique_id") and result.get("max_loaded_at")
    }


def models_built(run_results: dict[str, Any] | None) -> int:
    return sum(
        1
        for result in (run_results or {}).get("results", [])
        if str(result.get("unique_id", "")).startswith("model.")
    )
