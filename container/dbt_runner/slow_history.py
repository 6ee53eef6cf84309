"""The job's earlier successful runs, as the slow-model check reads them: the newest pointers
under `jobs/<job>/successes/` (docs/design.md, "Artifacts"), each naming the attempt folder
whose run_results.json holds that run's model times."""

from __future__ import annotations

import json
from typing import Any

from .artifacts import ArtifactsError, ArtifactStore
from .aws import AwsUnreachable
from .layout import successes_folder
from .slow_models import model_seconds, slow_models

POINTERS_TRIED_PER_RUN = 3


class HistoryUnreadable(Exception):
    """The job's history could not be read: the run is not judged slow or not, only said so."""


def _json(body: bytes | None) -> dict[str, Any] | None:
    if body is None:
        return None
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def earlier_model_seconds(store: ArtifactStore, job: str, run_id: str, runs: int) -> list[dict[str, float]]:
    """Model times of the job's newest `runs` successful runs other than `run_id`, newest
    first. A pointer or run_results.json that is gone or unreadable is passed over: the
    history is a guide, not a record this run depends on."""
    folder = successes_folder(job)
    try:
        # `<finishedAt compact>-<runId>.json`: the names sort oldest first.
        names = [name for name in store.list_names(folder) if name.endswith(".json")]
        found: list[dict[str, float]] = []
        # Pointers outlive the runs they name (runs expire after artifactsRetentionDays): a few
        # gone ones are passed over, not a year of them.
        for name in list(reversed(names))[: runs * POINTERS_TRIED_PER_RUN]:
            if len(found) >= runs:
                break
            pointer = _json(store.get(f"{folder}/{name}"))
            if pointer is None or pointer.get("runId") == run_id:
                continue
            attempt_folder = pointer.get("folder")
            if not isinstance(attempt_folder, str) or not attempt_folder.startswith("runs/"):
                continue
            results = _json(store.get(f"{attempt_folder.rstrip('/')}/run_results.json"))
            if results is not None:
                found.append(model_seconds(results))
        return found
    except (ArtifactsError, AwsUnreachable) as error:
        raise HistoryUnreadable(str(error)) from None


def find_slow_models(
    store: ArtifactStore,
    job: str,
    run_id: str,
    run_results: dict[str, Any] | None,
    runs: int,
    min_extra_seconds: float,
) -> list[dict[str, Any]]:
    current = model_seconds(run_results)
    if not current:
        return []
    return slow_models(current, earlier_model_seconds(store, job, run_id, runs), min_extra_seconds)
