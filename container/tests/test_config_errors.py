"""A run whose configuration is wrong, through the entrypoint on real dbt: exit 3, a summary.json
whose `error` names the cause in dbt's own words (the variable, the profile, the target, the
missing file), which Evaluate turns into the verdict's reason and hint. None of these runs
reaches a warehouse: dbt refuses the profile first (tests/cli/local/postgres.integration.test.ts
runs the ones a real PostgreSQL server refuses)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Moto, Project

pytestmark = pytest.mark.integration

# The sample profile's postgres target reads these; no server is needed to be refused first.
POSTGRES_SECRET = {"host": "127.0.0.1", "dbname": "shop", "username": "dbt"}
QUICK = {"select": "stg_orders", "freshness": "skip", "docs": False}


def test_a_variable_the_credentials_source_does_not_provide_is_exit_3_naming_it(
    project: Project, moto: Moto
) -> None:
    # The secret has no `password` key, so DBT_ENV_SECRET_PASSWORD is never set; dbt itself would
    # only say "None is not of type 'string'" for a password field.
    arn = moto.client("secretsmanager").create_secret(
        Name="warehouse-without-password", SecretString=json.dumps(POSTGRES_SECRET)
    )["ARN"]

    result = project.run(
        "no-password", QUICK, DBT_TARGET="postgres", CREDENTIALS_SOURCE=f"secretsmanager:{arn}", **moto.env()
    )

    assert result.exit_code == 3, result.output
    summary = project.summary("no-password")
    assert summary["error"].startswith(
        "parse: Env var required but not provided: 'DBT_ENV_SECRET_PASSWORD' (dbt: "
    )
    steps = {step["name"]: step["status"] for step in summary["steps"]}
    assert (steps["credentials"], steps["parse"]) == ("success", "error")


def test_a_variable_missing_from_the_environment_is_named_by_dbt(project: Project) -> None:
    result = project.run("no-host", QUICK, DBT_TARGET="postgres")

    assert result.exit_code == 3, result.output
    assert (
        project.summary("no-host")["error"]
        == "parse: Env var required but not provided: 'DBT_WAREHOUSE_HOST'"
    )


def test_a_target_the_profile_lacks_is_exit_3_listing_the_targets_on_one_line(project: Project) -> None:
    result = project.run("no-target", QUICK, DBT_TARGET="prod")

    assert result.exit_code == 3, result.output
    error = project.summary("no-target")["error"]
    assert error.startswith("parse: The profile 'shop' does not have a target named 'prod'.")
    assert "- local - redshift - postgres" in error
    assert "\n" not in error


def test_a_profiles_yml_without_the_projects_profile_is_exit_3_naming_the_file(project: Project) -> None:
    project.write("profiles.yml", "other:\n  target: a\n  outputs:\n    a: {type: duckdb, path: x.duckdb}\n")

    result = project.run("no-profile", QUICK)

    assert result.exit_code == 3, result.output
    assert project.summary("no-profile")["error"] == (
        f"parse: Could not find profile named 'shop' in {project.root / 'profiles.yml'}"
    )


def test_no_profiles_yml_is_exit_3_and_still_writes_a_summary(project: Project, tmp_path: Path) -> None:
    empty = tmp_path / "no-profiles-here"
    empty.mkdir()

    result = project.run("no-profiles-yml", QUICK, DBT_PROFILES_DIR=str(empty))

    assert result.exit_code == 3, result.output
    summary = project.summary("no-profiles-yml")
    assert summary["error"] == f"DBT_PROFILES_DIR: no profiles.yml in {empty}"
    assert summary["exitCode"] == 3
    assert summary["job"] == "manual"
