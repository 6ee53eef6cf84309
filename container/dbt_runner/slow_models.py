"""Slow models (docs/design.md, "summary.json": `slowModels`): a model of this run is slow when
it took more than SLOWER_THAN_MEDIAN times its median over the job's last successful runs AND at
least MIN_EXTRA_SECONDS longer. Both, so that a 2 s model taking 5 s is not news, nor a 2-hour
model taking 2 h 01 m. Pure: the runs' run_results.json are read elsewhere (slow_history.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from statistics import median
from typing import Any

SLOWER_THAN_MEDIAN = 2.0
# SLOW_MODELS_MIN_EXTRA_SECONDS may change it: a project of many short models may care sooner.
MIN_EXTRA_SECONDS = 30.0
# A median of one or two runs is one odd run away from noise: no flag until there are three.
MIN_RUNS_COMPARED = 3
# Successful runs of the job read for the medians, unless SLOW_MODELS_RUNS says otherwise.
DEFAULT_RUNS_COMPARED = 10
# Each is one run_results.json read after the command: more would slow every run's end.
MAX_RUNS_COMPARED = 50
# Flagged models kept in summary.json, slowest-beyond-usual first.
MAX_FLAGGED = 50


def model_seconds(run_results: Mapping[str, Any] | None) -> dict[str, float]:
    """Each model that built successfully in a run, and how long it took (run_results.json's
    `execution_time`). Tests, seeds and failed models are left out: a failure's time says
    nothing about how long the model usually takes."""
    seconds: dict[str, float] = {}
    for result in (run_results or {}).get("results", []) or []:
        if not isinstance(result, Mapping):
            continue
        unique_id = result.get("unique_id")
        time = result.get("execution_time")
        if (
            isinstance(unique_id, str)
            and unique_id.startswith("model.")
            and result.get("status") == "success"
            and isinstance(time, int | float)
            and not isinstance(time, bool)
            and time >= 0
        ):
            seconds[unique_id] = float(time)
    return seconds


def slow_models(
    current: Mapping[str, float],
    history: Iterable[Mapping[str, float]],
    min_extra_seconds: float = MIN_EXTRA_SECONDS,
) -> list[dict[str, Any]]:
    """The models of `current` (unique id → seconds) that were slow against `history` (the same,
    one mapping per earlier successful run), as summary.json lists them."""
    past: dict[str, list[float]] = {}
    for run in history:
        for unique_id, seconds in run.items():
            past.setdefault(unique_id, []).append(seconds)
    flagged = []
    for unique_id, seconds in current.items():
        times = past.get(unique_id, [])
        if len(times) < MIN_RUNS_COMPARED:
            continue
        usual = median(times)
        if seconds > SLOWER_THAN_MEDIAN * usual and seconds - usual >= min_extra_seconds:
            flagged.append(
                {
                    "uniqueId": unique_id,
                    "seconds": round(seconds, 3),
                    "medianSeconds": round(usual, 3),
                    "runsCompared": len(times),
                }
            )
    flagged.sort(key=lambda model: (model["medianSeconds"] - model["seconds"], model["uniqueId"]))
    return flagged[:MAX_FLAGGED]
