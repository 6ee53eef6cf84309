"""The build benchmark on a tiny generated project, so that it does not rot between its runs.
No time is asserted: the machine is shared."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import build_bench


@pytest.mark.integration
def test_the_build_bench_times_the_same_builds_nodes_on_every_side(tmp_path):
    out = tmp_path / "build.json"

    results = build_bench.main(["--models", "10", "--repeats", "1", "--out", str(out)])

    assert json.loads(out.read_text()) == results
    assert [result["benchmark"] for result in results] == [
        "build's nodes, dbt CLI vs dbt CLI, 10 models",
        "build's nodes, dbtRunner vs dbt CLI, 10 models",
        "build's nodes, entrypoint vs dbt CLI, 10 models",
    ]
    assert results[0]["ratio"] == 1.0
    # Each side's figure is dbt's own time for the nodes, within its process's whole time.
    assert all(0 < result["ours_s"] < min(result["process_s"]) for result in results)
