"""The sample dbt project's own rules, checked on real DuckDB through the entrypoint:
generate_schema_name both ways, and the first run on an empty warehouse."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import COPY_IGNORE, SAMPLE_PROJECT, Project

pytestmark = pytest.mark.integration


@pytest.fixture
def empty_project(tmp_path: Path) -> Project:
    project = Project(tmp_path / "project", tmp_path / "warehouse.duckdb", tmp_path / "artifacts")
    shutil.copytree(SAMPLE_PROJECT, project.root, ignore=COPY_IGNORE)
    return project


def schemas_by_relation(project: Project) -> dict[str, str]:
    rows = project.query("select table_name, table_schema from information_schema.tables")
    return {name: schema for name, schema in rows}


def test_outside_dev_and_live_everything_goes_to_the_sandbox_schema(empty_project: Project) -> None:
    result = empty_project.run("sandboxed", {"docs": False}, ENV="pr-1234")

    assert result.exit_code == 0, result.output
    schemas = schemas_by_relation(empty_project)
    assert schemas["orders"] == schemas["stg_orders"] == schemas["raw_orders"] == "main_sandbox"
    assert set(schemas.values()) == {"main_sandbox"}


def test_in_dev_models_use_the_base_schema_and_raw_data_its_custom_schema(empty_project: Project) -> None:
    result = empty_project.run("in-dev", {"docs": False}, ENV="dev")

    assert result.exit_code == 0, result.output
    schemas = schemas_by_relation(empty_project)
    assert schemas["orders"] == schemas["customers"] == schemas["stg_orders"] == "main"
    assert schemas["raw_orders"] == schemas["raw_customers"] == "main_raw"


def test_first_run_on_an_empty_warehouse_says_in_one_line_that_its_seeds_create_the_sources(
    empty_project: Project,
) -> None:
    # The raw tables are the seeds' own: before the build lands them there is nothing to check,
    # and one line says so instead of one freshness error per source.
    result = empty_project.run("first-ever", {"docs": False, "freshness": "fail"})

    assert result.exit_code == 0, result.output
    assert "freshness of raw." not in result.output
    assert "Runtime Error in source" not in result.output
    [freshness] = [step for step in result.log_events("step") if step["step"] == "freshness"]
    assert freshness["status"] == "skipped"
    assert freshness["reason"] == (
        "not checked: source.shop.raw.customers, source.shop.raw.order_items, source.shop.raw.orders,"
        " source.shop.raw.products: their tables do not exist yet, and this run's seeds create them"
    )
    summary = empty_project.summary("first-ever")
    assert summary["freshness"] == {"status": "skipped", "sources": []}
    assert summary["counts"]["error"] == summary["counts"]["fail"] == 0
    assert "orders" in schemas_by_relation(empty_project)
