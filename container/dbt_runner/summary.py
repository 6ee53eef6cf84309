"""summary.json: the one artifact the rest of serverless-dbt reads (Evaluate, Notify, the
CLI). Built from dbt's own run_results.json and sources.json, in camelCase so TypeScript
reads it as it is. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MESSAGE_LIMIT = 500
COUNTED_STATUSES = ("success", "pass", "error", "fail", "warn", "skipped")
# Worst first: alerts cut the list, so what broke must come before what was merely skipped.
NOT_SUCCEEDED = ("error", "runtime error", "fail", "partial success", "warn", "skipped")
FRESHNESS_STATUSES = {"pass": "pass", "warn": "warn", "error": "error", "runtime error": "error"}
# The statuses that skip what is downstream, and the nodes that test another one.
FAILED = ("error", "runtime error", "fail")
TEST_TYPES = ("test", "unit_test")


@dataclass
class Step:
    name: str
    status: str
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "seconds": round(self.seconds, 3)}


def cut(message: str | None, limit: int = MESSAGE_LIMIT) -> str | None:
    if message is None:
        return None
    message = str(message).strip()
    return message if len(message) <= limit else message[: limit - 1] + "…"


def resource_type(unique_id: str) -> str:
    return unique_id.split(".", 1)[0]


def _node_message(result: dict[str, Any], given: str | None = None) -> str | None:
    """`given`: the runner's message for a node whose result has none (RunState.node_messages)."""
    if result.get("status") == "skipped" and not result.get("message"):
        return "skipped because an upstream node did not succeed"
    return cut(result.get("message") or given)


def has_skipped(run_results: dict[str, Any] | None) -> bool:
    """Whether the run skipped a node: only then is the manifest's parent map worth reading."""
    return any(result.get("status") == "skipped" for result in (run_results or {}).get("results", []))


def skipped_because_of(
    run_results: dict[str, Any] | None, parent_map: Mapping[str, list[str]]
) -> dict[str, list[str]]:
    """For each skipped node, the nodes whose failure skipped it: the failed nodes upstream
    (manifest.json's `parent_map`, child → parents), reached through skipped ones only. A
    failing test skips what is downstream of the node it tests, which the parent map links to
    that node, not to the test; a failing unit test skips the very model it tests. Nodes skipped
    for another reason (`dbt retry`, a fail-fast stop) have no entry."""
    statuses = {
        str(result.get("unique_id", "")): str(result.get("status", ""))
        for result in (run_results or {}).get("results", [])
    }
    failed = {unique_id for unique_id, status in statuses.items() if status in FAILED}
    failed_tests_of: dict[str, set[str]] = {}
    for unique_id in failed:
        if resource_type(unique_id) in TEST_TYPES:
            for tested in parent_map.get(unique_id, []):
                failed_tests_of.setdefault(tested, set()).add(unique_id)
    causes: dict[str, list[str]] = {}
    for unique_id, status in statuses.items():
        if status != "skipped":
            continue
        found = set(failed_tests_of.get(unique_id, ()))
        seen = {unique_id}
        upstream = list(parent_map.get(unique_id, []))
        while upstream:
            parent = upstream.pop()
            if parent in seen:
                continue
            seen.add(parent)
            found |= failed_tests_of.get(parent, set())
            if parent in failed:
                found.add(parent)
            elif statuses.get(parent) == "skipped":
                upstream.extend(parent_map.get(parent, []))
        if found:
            causes[unique_id] = sorted(found)
    return causes


def node_outcomes(
    run_results: dict[str, Any] | None,
    parent_map: Mapping[str, list[str]] | None = None,
    node_messages: Mapping[str, str] | None = None,
) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Counts per status, and the nodes that did not succeed (docs/design.md, "summary.json":
    `nodes`); with the manifest's `parent_map`, a skipped node names what skipped it.
    `node_messages`: messages for nodes whose result has none (a failed run-operation's macro)."""
    counts = dict.fromkeys(COUNTED_STATUSES, 0)
    nodes: list[dict[str, Any]] = []
    causes = skipped_because_of(run_results, parent_map) if parent_map else {}
    for result in (run_results or {}).get("results", []):
        status = str(result.get("status", "unknown"))
        counts[status] = counts.get(status, 0) + 1
        if status in NOT_SUCCEEDED:
            unique_id = str(result.get("unique_id", ""))
            node = {
                "uniqueId": unique_id,
                "resourceType": resource_type(unique_id),
                "status": status,
                "message": _node_message(result, (node_messages or {}).get(unique_id)),
            }
            if unique_id in causes:
                node["skippedBecauseOf"] = causes[unique_id]
            nodes.append(node)
    nodes.sort(key=lambda node: (NOT_SUCCEEDED.index(node["status"]), node["uniqueId"]))
    return counts, nodes


def freshness_outcome(sources: list[dict[str, Any]] | None, mode: str) -> dict[str, Any]:
    """`sources` are records in sources.json's shape (unique_id, status, max_loaded_at, error)."""
    if mode == "skip" or sources is None:
        return {"status": "skipped", "sources": []}
    listed = []
    worst = "pass"
    for result in sources:
        status = FRESHNESS_STATUSES.get(str(result.get("status")), "error")
        if status == "error" or (status == "warn" and worst == "pass"):
            worst = status
        if status != "pass":
            listed.append(
                {
                    "uniqueId": result.get("unique_id"),
                    "status": status,
                    "maxLoadedAt": result.get("max_loaded_at"),
                    **({"message": cut(result["error"])} if result.get("error") else {}),
                }
            )
    return {"status": worst, "sources": listed}


def build_summary(
    *,
    run_id: str,
    exit_code: int,
    command: str,
    dbt_version: str,
    started_at: str,
    finished_at: str,
    steps: list[Step],
    run_results: dict[str, Any] | None,
    sources: list[dict[str, Any]] | None,
    freshness_mode: str,
    error: str | None,
    job: str | None = None,
    attempt: int = 1,
    running_nodes: list[str] | None = None,
    parent_map: Mapping[str, list[str]] | None = None,
    slow_models: list[dict[str, Any]] | None = None,
    state_aware: dict[str, Any] | None = None,
    node_messages: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """`running_nodes`: for a run that was stopped (SIGTERM or its deadline), the nodes dbt
    had started and not finished; None otherwise, and the field is left out. `parent_map`:
    manifest.json's, for the failures that skipped nodes (`skippedBecauseOf`). `slow_models`:
    the models slower than usual (slow_models.py); None when the check did not run, and the
    field is left out. `node_messages`: as node_outcomes takes them."""
    counts, nodes = node_outcomes(run_results, parent_map, node_messages)
    summary: dict[str, Any] = {
        "runId": run_id,
        "attempt": attempt,
        "job": job,
        "exitCode": exit_code,
        "command": command,
        "dbtVersion": dbt_version,
        "startedAt": started_at,
        "finishedAt": finished_at,
        "steps": [step.to_json() for step in steps],
        "counts": counts,
        "nodes": nodes,
        "freshness": freshness_outcome(sources, freshness_mode),
    }
    if error:
        summary["error"] = cut(error, 1000)
    if running_nodes is not None:
        summary["runningNodes"] = list(running_nodes)
    if slow_models is not None:
        summary["slowModels"] = list(slow_models)
    # Only a state-aware run (`only: changed`) has it: what it compared with, built and deferred.
    if state_aware is not None:
        summary["stateAware"] = dict(state_aware)
    return summary
