"""The run input's commands and dbt options beyond build, on real dbt-duckdb through the
entrypoint: threads, a selector from selectors.yml, compile, ls, run-operation, source
freshness alone, failFast and warnError. Each starts from the seeded sample project."""

from __future__ import annotations

import pytest
from conftest import Project

pytestmark = pytest.mark.integration

QUICK = {"freshness": "skip", "docs": False}
BROKEN_TABLE = "{{ config(materialized='table') }}\nselect error('boom') as x\n"


def step_names(project: Project, run_id: str) -> dict[str, str]:
    return {step["name"]: step["status"] for step in project.summary(run_id)["steps"]}


def result_ids(project: Project, run_id: str) -> set[str]:
    return {result["unique_id"] for result in project.artifact(run_id, "run_results.json")["results"]}


def test_threads_reach_the_freshness_check_and_the_command(project: Project) -> None:
    result = project.run("threads", {"command": "run", "select": "stg_customers", "threads": 3})

    assert result.exit_code == 0, result.output
    assert project.artifact("threads", "run_results.json")["args"]["threads"] == 3
    # The profile says 4; dbt names the threads of each step that runs queries in its log.
    log = (project.run_dir("threads") / "dbt.log").read_text()
    assert log.count("Concurrency: 3 threads") == 2
    assert step_names(project, "threads") == {
        "deps": "skipped",
        "credentials": "success",
        "parse": "success",
        "freshness": "success",
        "run": "success",
        "docs": "success",
    }


def test_a_selector_from_selectors_yml_builds_its_selection_only(project: Project) -> None:
    result = project.run("selector", {"selector": "nightly", **QUICK})

    assert result.exit_code == 0, result.output
    built = result_ids(project, "selector")
    # nightly is the marts and their parents: not the products, which no mart reads, nor a snapshot.
    assert {"model.shop.orders", "model.shop.customers", "seed.shop.raw_orders"} <= built
    assert not {"model.shop.stg_products", "seed.shop.raw_products"} & built
    assert not {unique_id for unique_id in built if unique_id.startswith("snapshot.")}
    assert project.artifact("selector", "run_results.json")["args"]["selector"] == "nightly"


def test_compile_builds_nothing_in_the_warehouse_and_still_documents(project: Project) -> None:
    result = project.run("compile", {"command": "compile", "select": "orders"})

    assert result.exit_code == 0, result.output
    summary = project.summary("compile")
    assert summary["command"] == "compile"
    assert summary["counts"]["success"] >= 1
    assert "model.shop.orders" in result_ids(project, "compile")
    assert project.query("select table_name from information_schema.tables where table_name = 'orders'") == []
    # No freshness check before a command that builds nothing; docs describe what compiled.
    assert step_names(project, "compile")["freshness"] == "skipped"
    assert step_names(project, "compile")["docs"] == "success"
    assert summary["freshness"]["status"] == "skipped"


def test_ls_lists_the_selection_without_a_freshness_check_or_docs(project: Project) -> None:
    result = project.run("ls", {"command": "ls", "select": "+orders"})

    assert result.exit_code == 0, result.output
    assert "shop.marts.orders" in result.stdout
    assert "shop.staging.stg_orders" in result.stdout
    assert "shop.marts.customers" not in result.stdout
    steps = step_names(project, "ls")
    assert steps["ls"] == "success"
    assert steps["freshness"] == "skipped"
    assert "docs" not in steps
    assert project.summary("ls")["nodes"] == []


def test_run_operation_runs_the_macro_with_its_args(project: Project) -> None:
    project.query("create schema pr_42; create table pr_42.leftover as select 1 as id")

    result = project.run(
        "drop-pr",
        {"command": "run-operation", "macro": "drop_schema_by_name", "args": {"schema_name": "pr_42"}},
    )

    assert result.exit_code == 0, result.output
    schemas = project.query("select schema_name from information_schema.schemata")
    assert ("pr_42",) not in schemas
    assert ("main_sandbox",) in schemas
    steps = step_names(project, "drop-pr")
    assert steps["run-operation"] == "success"
    assert steps["freshness"] == "skipped"
    assert "docs" not in steps


def test_a_failing_run_operation_macro_exits_1_naming_the_macro_and_its_error(project: Project) -> None:
    project.write(
        "macros/refuse.sql",
        "{% macro refuse() %}\n"
        '{{ exceptions.raise_compiler_error("nope: refused " ~ var("why")) }}\n'
        "{% endmacro %}\n",
    )

    result = project.run("refuse", {"command": "run-operation", "macro": "refuse", "vars": {"why": "today"}})

    assert result.exit_code == 1, result.output
    summary = project.summary("refuse")
    # dbt leaves the macro's error out of its result and run_results.json; it logs it.
    assert summary["error"].startswith("run-operation: macro refuse failed: Compilation Error in macro")
    assert "nope: refused today" in summary["error"]
    assert "\n" not in summary["error"]
    [node] = summary["nodes"]
    assert node["uniqueId"] == "macro.shop.refuse"
    assert "nope: refused today" in node["message"]
    assert project.artifact("refuse", "run_results.json")["results"][0]["message"] is None


def test_a_run_operation_macro_without_its_args_fails_with_its_own_message(project: Project) -> None:
    # Without schema_name the macro raises its own compilation error.
    result = project.run("drop-nothing", {"command": "run-operation", "macro": "drop_schema_by_name"})

    assert result.exit_code == 1, result.output
    summary = project.summary("drop-nothing")
    assert summary["error"].startswith("run-operation: macro drop_schema_by_name failed: ")
    assert "drop_schema_by_name: schema_name is required" in summary["error"]
    assert [node["uniqueId"] for node in summary["nodes"]] == ["macro.shop.drop_schema_by_name"]


def test_a_run_operation_macro_whose_sql_fails_names_the_databases_error(project: Project) -> None:
    project.write(
        "macros/broken_query.sql",
        "{% macro broken_query() %}\n"
        "{% do run_query('select * from no_such_table_anywhere') %}\n"
        "{% endmacro %}\n",
    )

    result = project.run("broken-query", {"command": "run-operation", "macro": "broken_query"})

    assert result.exit_code == 1, result.output
    error = project.summary("broken-query")["error"]
    assert error.startswith("run-operation: macro broken_query failed: ")
    assert "no_such_table_anywhere" in error
    assert "\n" not in error


def test_a_run_operation_macros_error_is_redacted_and_bounded(project: Project) -> None:
    secret = "hunter2-very-secret"
    project.write(
        "macros/leak.sql",
        "{% macro leak() %}{{ exceptions.raise_compiler_error('leaked '"
        " ~ env_var('SANDBOX_PASSWORD') ~ ' ' ~ ('x' * 3000)) }}{% endmacro %}\n",
    )

    result = project.run("leak", {"command": "run-operation", "macro": "leak"}, SANDBOX_PASSWORD=secret)

    assert result.exit_code == 1, result.output
    summary = project.summary("leak")
    assert "leaked *****" in summary["error"]
    assert len(summary["error"]) <= 600
    assert len(summary["nodes"][0]["message"]) <= 500
    assert secret not in (project.run_dir("leak") / "summary.json").read_text()


def test_source_freshness_alone_checks_the_sources_and_keeps_sources_json(project: Project) -> None:
    result = project.run("fresh", {"command": "source freshness"})

    assert result.exit_code == 0, result.output
    summary = project.summary("fresh")
    assert summary["command"] == "source freshness"
    assert summary["freshness"]["status"] == "pass"
    assert len(project.artifact("fresh", "sources.json")["results"]) == 4
    steps = step_names(project, "fresh")
    # The command is the check: no second check before it, and nothing to document.
    assert steps["freshness"] == "skipped"
    assert steps["source freshness"] == "success"
    assert "docs" not in steps


def test_source_freshness_alone_fails_on_a_stale_source_even_with_freshness_warn(project: Project) -> None:
    project.query("update main_sandbox.raw_orders set _loaded_at = now() - interval 3 day")

    result = project.run("stale", {"command": "source freshness", "freshness": "warn"})

    assert result.exit_code == 1, result.output
    summary = project.summary("stale")
    assert summary["error"] == "freshness: stale past error_after: source.shop.raw.orders"
    assert summary["freshness"]["status"] == "error"


def test_fail_fast_skips_what_had_not_started_after_the_first_failure(project: Project) -> None:
    project.write("models/broken/a_broken.sql", BROKEN_TABLE)
    spec = {
        "select": "a_broken stg_customers stg_orders stg_products",
        "threads": 1,
        "failFast": True,
        **QUICK,
    }

    result = project.run("fail-fast", spec)

    assert result.exit_code == 1, result.output
    results = project.artifact("fail-fast", "run_results.json")["results"]
    fail_fast_skips = [item for item in results if "fail_fast" in (item.get("message") or "")]
    assert fail_fast_skips
    assert {item["status"] for item in fail_fast_skips} == {"skipped"}


def test_warn_error_turns_a_warning_test_into_a_failed_run(project: Project) -> None:
    project.write("tests/always_warns.sql", "{{ config(severity='warn') }}\nselect 1 as problem\n")
    spec = {"command": "test", "select": "always_warns", **QUICK}

    warned = project.run("warn", spec)
    failed = project.run("warn-error", {**spec, "warnError": True})

    assert warned.exit_code == 0, warned.output
    assert project.summary("warn")["counts"]["warn"] == 1
    assert failed.exit_code == 1, failed.output
    assert project.summary("warn-error")["counts"]["fail"] == 1
