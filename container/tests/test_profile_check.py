"""Finding the variables a profile's target reads and the environment lacks, so that a run whose
profile dbt refuses names them (dbt itself does not for a `password` field)."""

from __future__ import annotations

from pathlib import Path

from dbt_runner.profile_check import missing_env_vars, missing_profile_env_vars, target_name

PROFILES = {
    "shop": {
        "target": "{{ env_var('DBT_TARGET', 'local') }}",
        "outputs": {
            "local": {"type": "duckdb", "path": "{{ env_var('DBT_DUCKDB_PATH', 'shop.duckdb') }}"},
            "postgres": {
                "type": "postgres",
                "host": "{{ env_var('DBT_ENV_SECRET_HOST') }}",
                "user": '{{ env_var("DBT_ENV_SECRET_USERNAME") }}',
                "password": "{{ env_var('DBT_ENV_SECRET_PASSWORD') }}",
                "schema": "{{ env_var('DBT_SCHEMA', 'analytics') }}",
                "keepalives": ["{{ env_var('DBT_ENV_SECRET_PASSWORD') }}"],
            },
        },
    }
}


def test_the_unset_variables_the_chosen_target_reads_without_a_default_in_order_once() -> None:
    environ = {"DBT_ENV_SECRET_USERNAME": "dbt"}

    assert missing_env_vars(PROFILES, "shop", "postgres", environ) == [
        "DBT_ENV_SECRET_HOST",
        "DBT_ENV_SECRET_PASSWORD",
    ]


def test_variables_with_a_default_or_of_another_target_are_not_missing() -> None:
    assert missing_env_vars(PROFILES, "shop", "local", {}) == []


def test_the_profiles_default_target_follows_its_variable_or_the_variables_default() -> None:
    profile = PROFILES["shop"]

    assert target_name(profile, None, {}) == "local"
    assert target_name(profile, None, {"DBT_TARGET": "postgres"}) == "postgres"
    assert target_name(profile, "chosen", {"DBT_TARGET": "postgres"}) == "chosen"
    assert target_name({"target": " dev "}, None, {}) == "dev"
    assert target_name({"target": "{{ 'dev' if true }}"}, None, {}) is None
    assert missing_env_vars(PROFILES, "shop", None, {"DBT_TARGET": "postgres"})[0] == "DBT_ENV_SECRET_HOST"


def test_an_unknown_profile_or_target_or_a_malformed_file_finds_nothing() -> None:
    assert missing_env_vars(PROFILES, "other", "postgres", {}) == []
    assert missing_env_vars(PROFILES, "shop", "nope", {}) == []
    assert missing_env_vars(["not", "a", "mapping"], "shop", "postgres", {}) == []
    assert missing_env_vars({"shop": {"outputs": "x"}}, "shop", "postgres", {}) == []


def test_the_projects_profile_is_read_from_its_files(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: shop\nprofile: shop\n")
    (tmp_path / "profiles.yml").write_text(
        "shop:\n  target: pg\n  outputs:\n    pg:\n"
        "      password: \"{{ env_var('DBT_ENV_SECRET_PASSWORD') }}\"\n"
    )

    assert missing_profile_env_vars(tmp_path, tmp_path, None, {}) == ["DBT_ENV_SECRET_PASSWORD"]
    assert missing_profile_env_vars(tmp_path, tmp_path / "elsewhere", None, {}) == []
    (tmp_path / "profiles.yml").write_text("shop: [unclosed\n")
    assert missing_profile_env_vars(tmp_path, tmp_path, None, {}) == []
