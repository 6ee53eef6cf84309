"""The scale benchmark and its project generator on a tiny project, so that neither rots
between the benchmark's runs. No time is asserted: the machine is shared."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import scale_bench
from generate_project import generate_project


def test_the_generator_writes_staging_views_and_mart_tables_each_with_two_tests_on_its_key(tmp_path):
    project = generate_project(tmp_path / "project", 45)

    generated = project / "models" / "generated"
    staging = sorted(p.stem for p in (generated / "staging").glob("*.sql"))
    marts = sorted(p.stem for p in (generated / "marts").glob("*.sql"))
    assert marts == ["gen_0000", "gen_0010", "gen_0020", "gen_0030", "gen_0040"]
    assert len(staging) == 40
    model_41 = (generated / "staging" / "gen_0041.sql").read_text()
    assert "materialized='view'" in model_41
    # A model past the roots reads an earlier generated one, so the DAG has depth.
    assert "ref('gen_0007')" in model_41
    documented = []
    for folder in ("staging", "marts"):
        properties = yaml.safe_load((generated / folder / "_generated.yml").read_text())
        for model in properties["models"]:
            (column,) = model["columns"]
            assert column["data_tests"] == ["not_null", "unique"]
            documented.append(model["name"])
    assert sorted(documented) == sorted(staging + marts)
    assert (project / "dbt_project.yml").is_file()


def test_the_generator_refuses_a_count_below_one(tmp_path):
    with pytest.raises(ValueError, match="--models must be at least 1"):
        generate_project(tmp_path / "project", 0)


@pytest.mark.integration
def test_the_scale_bench_measures_every_figure_on_a_tiny_generated_project(tmp_path):
    out = tmp_path / "scale.json"

    results = scale_bench.main(["--models", "10", "--first-model-repeats", "1", "--out", str(out)])

    assert json.loads(out.read_text()) == results
    by_name = {result["benchmark"].split(",")[0]: result for result in results}
    assert set(by_name) == {"time to first model", "wall time", "peak resident memory"}
    wall = by_name["wall time"]
    assert list(wall["baseline_steps_s"]) == [" ".join(step) for step in scale_bench.SEED_POST_STEPS]
    assert len(wall["baseline_steps_s"]) == 6
    # The entrypoint ran the whole default run, not a part of it.
    assert {"parse", "freshness", "build", "docs"} <= set(wall["ours_steps_s"])
    assert wall["ratio"] > 0
    first_models = [result for result in results if result["benchmark"].startswith("time to first model")]
    assert len(first_models) == 2
    assert all(result["ours_s"] > 0 and result["baseline_s"] > 0 for result in first_models)
    memory = by_name["peak resident memory"]
    # dbt and its adapter alone take more than 100 MiB: a smaller figure measured something else.
    assert memory["ours_mib"] > 100
    assert memory["baseline_mib"] > 100
