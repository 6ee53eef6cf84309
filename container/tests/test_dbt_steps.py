"""dbt's freshness results as the plain records the summary reads, built from stand-ins for
dbt's result objects, and whose fault dbt's exceptions are (the steps themselves run real dbt
in test_entrypoint.py and test_config_errors.py)."""

from __future__ import annotations

import gc
import weakref
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from dbt_runner.config import RunnerConfig
from dbt_runner.dbt_steps import (
    freshness_results,
    parsed_project_left_out_of_gc,
    selection_warning,
    step_cause,
)
from dbt_runner.outcome import CONNECTION, NOTHING_SELECTED, SETTINGS


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


def _config(tmp_path: Path, target: str | None = "postgres") -> RunnerConfig:
    return RunnerConfig(
        run_id="r",
        artifacts_uri=tmp_path.as_uri(),
        project_dir=tmp_path,
        profiles_dir=tmp_path,
        target=target,
        credentials_source="env",
        raw_spec="{}",
    )


def test_a_failed_connection_is_the_connections_fault_in_the_databases_words(tmp_path: Path) -> None:
    from dbt.adapters.exceptions import FailedToConnectError  # noqa: PLC0415

    refused = FailedToConnectError('connection to server at "*****", port 5432 failed: Connection refused')

    assert step_cause(refused, _config(tmp_path)) == (
        CONNECTION,
        'connection to server at "*****", port 5432 failed: Connection refused',
    )


def test_a_missing_variable_or_profile_is_the_settings_fault_naming_it(tmp_path: Path) -> None:
    from dbt.exceptions import DbtProjectError, EnvVarMissingError  # noqa: PLC0415

    assert step_cause(EnvVarMissingError("DBT_ENV_SECRET_HOST"), _config(tmp_path)) == (
        SETTINGS,
        "Env var required but not provided: 'DBT_ENV_SECRET_HOST'",
    )
    assert step_cause(DbtProjectError("Could not find profile named 'shop'"), _config(tmp_path)) == (
        SETTINGS,
        f"Could not find profile named 'shop' in {tmp_path / 'profiles.yml'}",
    )


def test_a_refused_profile_names_the_variables_its_target_lacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dbt.exceptions import DbtProfileError  # noqa: PLC0415

    (tmp_path / "dbt_project.yml").write_text("name: shop\nprofile: shop\n")
    (tmp_path / "profiles.yml").write_text(
        "shop:\n  target: local\n  outputs:\n    postgres:\n"
        "      password: \"{{ env_var('DBT_ENV_SECRET_PASSWORD') }}\"\n"
    )
    monkeypatch.delenv("DBT_ENV_SECRET_PASSWORD", raising=False)
    refused = DbtProfileError(
        'Credentials in profile "shop", target "postgres" invalid: None is not of type \'string\''
    )

    cause, message = step_cause(refused, _config(tmp_path))

    assert cause == SETTINGS
    assert message == (
        "Env var required but not provided: 'DBT_ENV_SECRET_PASSWORD' "
        '(dbt: Credentials in profile "shop", target "postgres" invalid: None is not of type \'string\')'
    )
    # Another target reads nothing that is missing: dbt's words stand.
    assert step_cause(refused, _config(tmp_path, target="local"))[1] == refused.msg


def test_an_error_of_dbt_or_the_project_is_no_configuration_fault(tmp_path: Path) -> None:
    from dbt.exceptions import DbtProjectError  # noqa: PLC0415

    assert step_cause(DbtProjectError("Invalid project config"), _config(tmp_path)) == (None, None)
    assert step_cause(ValueError("boom"), _config(tmp_path)) == (None, None)
    assert step_cause(None, _config(tmp_path)) == (None, None)


def test_dbts_warnings_that_a_selection_matched_nothing_are_recognised_by_their_own_wording() -> None:
    from dbt.events.types import NoNodesForSelectionCriteria, NothingToDo  # noqa: PLC0415

    assert selection_warning(NoNodesForSelectionCriteria(spec_raw="tag:nighlty").message()) == "tag:nighlty"
    assert selection_warning(NothingToDo().message()) == ""
    assert selection_warning("Compilation Error in model orders") is None


def test_a_selection_warning_raised_as_an_error_is_the_selections_fault(tmp_path: Path) -> None:
    from dbt_common.exceptions.events import EventCompilationError  # noqa: PLC0415

    text = "The selection criterion 'ordrs' does not match any enabled nodes"

    assert step_cause(EventCompilationError(text, None), _config(tmp_path)) == (NOTHING_SELECTED, text)
    # Another warning raised as an error is the project's, as any compilation error is.
    assert step_cause(EventCompilationError("Unused config paths", None), _config(tmp_path)) == (None, None)


class _Node:
    """Stands in for one of the parsed manifest's objects."""

    other: _Node | None = None


def test_the_parsed_project_is_out_of_the_collectors_reach_during_the_steps_and_parse_garbage_freed() -> None:
    garbage = _Node()
    garbage.other = garbage  # a cycle: only the collector frees it
    garbage_freed = weakref.ref(garbage)
    del garbage
    parsed = _Node()

    with parsed_project_left_out_of_gc():
        assert garbage_freed() is None
        assert gc.get_freeze_count() > 0
        assert all(tracked is not parsed for tracked in gc.get_objects())

    assert gc.get_freeze_count() == 0
    assert any(tracked is parsed for tracked in gc.get_objects())
