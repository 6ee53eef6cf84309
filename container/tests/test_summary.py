"""summary.json is built from dbt's run results: counts, the nodes that did not succeed
(worst first, messages cut), and freshness."""

from __future__ import annotations

from dbt_runner.summary import (
    MESSAGE_LIMIT,
    Step,
    build_summary,
    freshness_outcome,
    has_skipped,
    node_outcomes,
    skipped_because_of,
)


def result(unique_id: str, status: str, message: str | None = None) -> dict:
    return {"unique_id": unique_id, "status": status, "message": message}


def test_counts_every_status_and_lists_only_what_did_not_succeed() -> None:
    run_results = {
        "results": [
            result("model.shop.stg_orders", "success", "OK"),
            result("test.shop.unique_orders_id", "pass"),
            result("test.shop.assert_totals", "fail", "Got 3 results, configured to fail if != 0"),
            result("model.shop.orders", "error", "Conversion Error"),
            result("model.shop.customers", "skipped"),
            result("test.shop.not_null_orders_id", "warn", "Got 1 result"),
        ]
    }

    counts, nodes = node_outcomes(run_results)

    assert counts == {"success": 1, "pass": 1, "error": 1, "fail": 1, "warn": 1, "skipped": 1}
    assert [node["uniqueId"] for node in nodes] == [
        "model.shop.orders",
        "test.shop.assert_totals",
        "test.shop.not_null_orders_id",
        "model.shop.customers",
    ]
    assert nodes[0] == {
        "uniqueId": "model.shop.orders",
        "resourceType": "model",
        "status": "error",
        "message": "Conversion Error",
    }
    assert nodes[-1]["message"] == "skipped because an upstream node did not succeed"


def test_messages_are_cut_to_500_characters() -> None:
    _, nodes = node_outcomes({"results": [result("model.shop.orders", "error", "x" * 2000)]})

    assert len(nodes[0]["message"]) == MESSAGE_LIMIT


def test_a_node_without_a_message_of_its_own_takes_the_runners_cut_to_500_characters() -> None:
    run_results = {
        "results": [
            result("macro.shop.refuse", "error"),
            result("model.shop.orders", "error", "Conversion Error"),
        ]
    }
    given = {"macro.shop.refuse": "x" * 2000, "model.shop.orders": "not this"}

    _, nodes = node_outcomes(run_results, node_messages=given)

    assert len(nodes[0]["message"]) == MESSAGE_LIMIT
    assert nodes[1]["message"] == "Conversion Error"


def test_no_run_results_means_zero_counts() -> None:
    counts, nodes = node_outcomes(None)

    assert counts == {"success": 0, "pass": 0, "error": 0, "fail": 0, "warn": 0, "skipped": 0}
    assert nodes == []


def test_freshness_takes_the_worst_status_and_lists_sources_that_did_not_pass() -> None:
    sources = [
        {"unique_id": "source.shop.raw.orders", "status": "pass", "max_loaded_at": "2026-11-24T06:00:00"},
        {"unique_id": "source.shop.raw.customers", "status": "warn", "max_loaded_at": "2026-11-23T16:00:00"},
        {"unique_id": "source.shop.raw.products", "status": "runtime error", "max_loaded_at": None,
         "error": "Catalog Error: raw_products does not exist"},
    ]  # fmt: skip

    outcome = freshness_outcome(sources, "warn")

    assert outcome["status"] == "error"
    assert [source["uniqueId"] for source in outcome["sources"]] == [
        "source.shop.raw.customers", "source.shop.raw.products",
    ]  # fmt: skip
    assert outcome["sources"][1]["status"] == "error"
    assert "raw_products" in outcome["sources"][1]["message"]


def test_freshness_warn_is_worse_than_pass_only() -> None:
    warn_only = [{"unique_id": "source.shop.raw.orders", "status": "warn", "max_loaded_at": None}]

    assert freshness_outcome(warn_only, "fail")["status"] == "warn"
    assert freshness_outcome(warn_only, "skip") == {"status": "skipped", "sources": []}


def test_summary_carries_the_contract_fields_and_the_error() -> None:
    summary = build_summary(
        run_id="run-1", attempt=2, job="nightly", exit_code=3, command="build", dbt_version="1.11.16",
        started_at="2026-11-24T06:00:00Z", finished_at="2026-11-24T06:00:01Z",
        steps=[Step("credentials", "error", 0.12345)], run_results=None, sources=None,
        freshness_mode="warn", error="secret x could not be read (ResourceNotFoundException)",
    )  # fmt: skip

    assert set(summary) == {
        "runId", "attempt", "job", "exitCode", "command", "dbtVersion", "startedAt", "finishedAt", "steps",
        "counts", "nodes", "freshness", "error",
    }  # fmt: skip
    assert summary["attempt"] == 2
    assert summary["steps"] == [{"name": "credentials", "status": "error", "seconds": 0.123}]
    assert summary["freshness"] == {"status": "skipped", "sources": []}


def test_a_stopped_run_lists_the_nodes_that_were_running_and_others_leave_the_field_out() -> None:
    common = {
        "run_id": "run-1", "exit_code": 6, "command": "build", "dbt_version": "1.11.16",
        "started_at": "2026-11-24T06:00:00Z", "finished_at": "2026-11-24T07:00:00Z", "steps": [],
        "run_results": None, "sources": None, "freshness_mode": "skip", "error": "stopped at its deadline",
    }  # fmt: skip

    stopped = build_summary(**common, running_nodes=["model.shop.orders", "model.shop.customers"])
    stopped_idle = build_summary(**common, running_nodes=[])
    finished = build_summary(**common)

    assert stopped["runningNodes"] == ["model.shop.orders", "model.shop.customers"]
    assert stopped_idle["runningNodes"] == []
    assert "runningNodes" not in finished


# stg_orders → orders → customers, stg_customers → customers; each model has a test.
PARENT_MAP = {
    "model.shop.stg_orders": ["seed.shop.raw_orders"],
    "model.shop.stg_customers": ["seed.shop.raw_customers"],
    "model.shop.orders": ["model.shop.stg_orders"],
    "model.shop.customers": ["model.shop.orders", "model.shop.stg_customers"],
    "test.shop.unique_stg_orders_id": ["model.shop.stg_orders"],
    "test.shop.unique_stg_customers_id": ["model.shop.stg_customers"],
    "test.shop.unique_customers_id": ["model.shop.customers"],
    "unit_test.shop.orders.sums_items": ["model.shop.orders"],
}


def test_a_skipped_node_names_the_failed_node_upstream_through_other_skipped_ones() -> None:
    run_results = {
        "results": [
            result("model.shop.stg_orders", "error", "Conversion Error"),
            result("model.shop.stg_customers", "success"),
            result("test.shop.unique_stg_customers_id", "pass"),
            result("test.shop.unique_stg_orders_id", "skipped"),
            result("model.shop.orders", "skipped"),
            result("model.shop.customers", "skipped"),
            result("test.shop.unique_customers_id", "skipped"),
        ]
    }

    _, nodes = node_outcomes(run_results, PARENT_MAP)

    skipped = {node["uniqueId"]: node.get("skippedBecauseOf") for node in nodes if node["status"] != "error"}
    assert skipped == {
        "model.shop.customers": ["model.shop.stg_orders"],
        "model.shop.orders": ["model.shop.stg_orders"],
        "test.shop.unique_customers_id": ["model.shop.stg_orders"],
        "test.shop.unique_stg_orders_id": ["model.shop.stg_orders"],
    }
    assert "skippedBecauseOf" not in nodes[0]


def test_a_failing_test_is_what_skipped_the_nodes_downstream_of_the_model_it_tests() -> None:
    run_results = {
        "results": [
            result("model.shop.stg_orders", "success"),
            result("test.shop.unique_stg_orders_id", "fail", "Got 2 results"),
            result("model.shop.stg_customers", "success"),
            result("test.shop.unique_stg_customers_id", "fail", "Got 1 result"),
            result("model.shop.orders", "skipped"),
            result("model.shop.customers", "skipped"),
        ]
    }

    causes = skipped_because_of(run_results, PARENT_MAP)

    assert causes == {
        "model.shop.orders": ["test.shop.unique_stg_orders_id"],
        "model.shop.customers": ["test.shop.unique_stg_customers_id", "test.shop.unique_stg_orders_id"],
    }


def test_a_failing_unit_test_is_what_skipped_the_model_it_tests() -> None:
    run_results = {
        "results": [
            result("model.shop.stg_orders", "success"),
            result("unit_test.shop.orders.sums_items", "fail", "actual differs from expected"),
            result("model.shop.orders", "skipped"),
        ]
    }

    assert skipped_because_of(run_results, PARENT_MAP) == {
        "model.shop.orders": ["unit_test.shop.orders.sums_items"]
    }


def test_a_node_skipped_with_no_failure_upstream_names_none() -> None:
    # `dbt retry` or a fail-fast stop skips nodes whose parents all succeeded.
    run_results = {
        "results": [result("model.shop.stg_orders", "success"), result("model.shop.orders", "skipped")]
    }

    _, nodes = node_outcomes(run_results, PARENT_MAP)

    assert skipped_because_of(run_results, PARENT_MAP) == {}
    assert "skippedBecauseOf" not in nodes[0]


def test_only_a_run_that_skipped_nodes_needs_the_parent_map() -> None:
    assert has_skipped({"results": [result("model.shop.orders", "skipped")]})
    assert not has_skipped({"results": [result("model.shop.orders", "error")]})
    assert not has_skipped(None)
