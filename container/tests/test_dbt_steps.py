"""dbt's freshness results as the plain records the summary reads, built from stand-ins for
dbt's result objects (the steps themselves run real dbt in test_entrypoint.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from dbt_runner.dbt_steps import freshness_results


def test_freshness_records_keep_every_source_with_its_status_and_only_failures_keep_a_message() -> None:
    result = SimpleNamespace(
        results=[
            SimpleNamespace(
                unique_id="source.shop.raw.orders",
                status="pass",
                max_loaded_at=datetime(2026, 11, 24, 6, tzinfo=UTC),
                message="fresh enough",
            ),
            # A check that errored has no load time; with no id of its own, its node's is taken.
            SimpleNamespace(
                node=SimpleNamespace(unique_id="source.shop.raw.products"),
                status="runtime error",
                message="Catalog Error: raw_products does not exist",
            ),
        ]
    )

    assert freshness_results(result) == [
        {
            "unique_id": "source.shop.raw.orders",
            "status": "pass",
            "max_loaded_at": "2026-11-24T06:00:00+00:00",
            "error": None,
        },
        {
            "unique_id": "source.shop.raw.products",
            "status": "runtime error",
            "max_loaded_at": None,
            "error": "Catalog Error: raw_products does not exist",
        },
    ]


def test_no_freshness_result_is_no_records() -> None:
    assert freshness_results(None) == []
