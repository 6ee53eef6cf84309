"""What a run prints and stores, kept to what a reader needs, on real dbt with DuckDB through
the entrypoint: dbt's deprecation summary once per run, the failure that skipped each node,
and sources the run's own seeds create left out of the freshness check in one line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import REPO, Project

pytestmark = pytest.mark.integration

DEPRECATED_PROJECT = REPO / "tests" / "fixtures" / "projects" / "deprecated_shop"
DBT_SUMMARY_LINE = "Summary of encountered deprecations:"


def test_a_run_of_several_steps_prints_dbts_deprecation_summary_once_after_its_last_step(
    tmp_path: Path,
) -> None:
    project = Project(tmp_path / "project", tmp_path / "warehouse.duckdb", tmp_path / "artifacts")
    shutil.copytree(DEPRECATED_PROJECT, project.root)

    result = project.run("deprecated")

    assert result.exit_code == 0, result.output
    steps = [step["step"] for step in result.log_events("step")]
    assert steps == ["deps", "parse", "freshness", "build", "docs", "artifacts"]
    assert result.stdout.count(DBT_SUMMARY_LINE) == 1
    assert result.stdout.count("[MissingArgumentsPropertyInGenericTestDeprecation]") == 1
    assert "- MissingArgumentsPropertyInGenericTestDeprecation: 1 occurrence" in result.stdout
    last_step = result.stdout.index('"step": "docs"')
    assert result.stdout.index(DBT_SUMMARY_LINE) > last_step
    dbt_log = (project.run_dir("deprecated") / "dbt.log").read_text()
    assert dbt_log.count(DBT_SUMMARY_LINE) == 1


def test_nodes_skipped_because_a_model_failed_name_it_in_the_summary(project: Project) -> None:
    # A view fails when it is created only if its SQL cannot bind.
    broken = "select no_such_column as order_id from {{ ref('raw_orders') }}\n"
    project.write("models/staging/stg_orders.sql", broken)

    result = project.run("skipped-downstream", {"docs": False, "freshness": "skip"})

    assert result.exit_code == 1, result.output
    nodes = project.summary("skipped-downstream")["nodes"]
    assert nodes[0]["uniqueId"] == "model.shop.stg_orders"
    assert nodes[0]["status"] == "error"
    assert "skippedBecauseOf" not in nodes[0]
    skipped = {node["uniqueId"]: node.get("skippedBecauseOf") for node in nodes if node["status"] != "error"}
    assert skipped["model.shop.orders"] == ["model.shop.stg_orders"]
    assert skipped["model.shop.customers"] == ["model.shop.stg_orders"]
    assert skipped["test.shop.unique_stg_orders_order_id.e3b841c71a"] == ["model.shop.stg_orders"]
    assert set(map(tuple, skipped.values())) == {("model.shop.stg_orders",)}
    assert len(skipped) == project.summary("skipped-downstream")["counts"]["skipped"]


def test_a_build_leaves_out_of_the_check_only_the_source_whose_missing_table_its_seed_creates(
    project: Project,
) -> None:
    project.query("drop table main_sandbox.raw_products")

    result = project.run("one-missing", {"docs": False, "freshness": "fail"})

    assert result.exit_code == 0, result.output
    [freshness] = [step for step in result.log_events("step") if step["step"] == "freshness"]
    assert freshness["status"] == "success"
    assert freshness["reason"] == (
        "not checked: source.shop.raw.products: its table does not exist yet, and this run's seed creates it"
    )
    checked = {source["unique_id"] for source in project.artifact("one-missing", "sources.json")["results"]}
    assert checked == {"source.shop.raw.customers", "source.shop.raw.orders", "source.shop.raw.order_items"}
    assert "freshness of raw.products" not in result.output
    assert project.query("select count(*) from main_sandbox.raw_products")[0][0] > 0


def test_a_run_with_a_selection_still_checks_a_source_whose_table_is_missing(project: Project) -> None:
    project.query("drop table main_sandbox.raw_products")

    # The selection might leave the seed out: the missing table is then a problem to report.
    result = project.run("selected", {"docs": False, "select": "+orders"})

    assert result.exit_code == 0, result.output
    [freshness] = [step for step in result.log_events("step") if step["step"] == "freshness"]
    assert "reason" not in freshness
    products = [
        source
        for source in project.summary("selected")["freshness"]["sources"]
        if source["uniqueId"] == "source.shop.raw.products"
    ]
    assert products[0]["status"] == "error"
