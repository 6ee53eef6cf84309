"""Which exit code, with which error, for what the steps reported: the container contract's
rules on their own, with no dbt and no files."""

from __future__ import annotations

import pytest
from dbt_runner.aws import AwsUnreachable
from dbt_runner.config import ConfigError
from dbt_runner.credentials import CredentialsError
from dbt_runner.outcome import (
    CONNECTION,
    EMPTY_SELECTION_FAILS,
    EXIT_ARTIFACTS,
    EXIT_AWS_UNREACHABLE,
    EXIT_CONFIG,
    EXIT_DBT_ERROR,
    EXIT_DBT_FAILED,
    EXIT_NOTHING_SELECTED,
    EXIT_SUCCESS,
    NOTHING_SELECTED,
    RUN_ERRORS,
    SETTINGS,
    STOPPED_BY_SIGTERM,
    Failure,
    RunState,
    StepReport,
    Stopped,
    artifacts_failure,
    artifacts_status,
    command_failure,
    docs_failure,
    docs_follow,
    freshness_failure,
    missing_env_vars_message,
    nothing_selected_failure,
    operation_failure,
    run_error_failure,
    run_status,
    setup_failure,
    stopped_by_watchdog,
)
from dbt_runner.run_input import CONTRACT
from dbt_runner.run_spec import InvalidRunInput


class ProfileError(Exception):
    """Stands in for dbt's DbtProfileError: what makes it a config error is the report's cause."""


class ConnectError(Exception):
    """Stands in for dbt's FailedToConnectError, whose text opens with dbt's header."""


def ok(name: str) -> StepReport:
    return StepReport(name, success=True)


def failed(name: str) -> StepReport:
    return StepReport(name, success=False)


def raised(
    name: str, exception: BaseException, *, cause: str | None = None, message: str | None = None
) -> StepReport:
    return StepReport(name, success=False, exception=exception, cause=cause, message=message)


def source(unique_id: str, status: str) -> dict[str, object]:
    return {"unique_id": unique_id, "status": status, "max_loaded_at": None, "error": None}


def test_the_first_failure_is_the_runs_outcome() -> None:
    state = RunState()

    state.fail(Failure(EXIT_DBT_FAILED, "build: dbt reported failures"))
    state.fail(Failure(EXIT_ARTIFACTS, "artifacts: cannot write"))

    assert (state.exit_code, state.error) == (EXIT_DBT_FAILED, "build: dbt reported failures")


def test_a_run_with_no_failure_succeeds() -> None:
    state = RunState()

    assert (state.exit_code, state.error) == (EXIT_SUCCESS, None)
    assert run_status(state.exit_code) == "success"
    assert run_status(EXIT_DBT_FAILED) == "failed"


@pytest.mark.parametrize(
    ("report", "status"),
    [
        (ok("build"), "success"),
        (failed("build"), "fail"),
        (raised("build", RuntimeError("boom")), "error"),
    ],
)
def test_a_step_that_raised_is_an_error_and_one_that_did_not_succeed_a_fail(
    report: StepReport, status: str
) -> None:
    assert report.status == status


@pytest.mark.parametrize("name", ["deps", "parse"])
def test_deps_or_parse_failing_without_an_exception_is_exit_2(name: str) -> None:
    assert setup_failure(failed(name)) == Failure(EXIT_DBT_ERROR, f"{name}: RuntimeError: dbt {name} failed")


def test_deps_or_parse_raising_is_exit_2_naming_the_exception() -> None:
    failure = setup_failure(raised("parse", ValueError("bad jinja")))

    assert failure == Failure(EXIT_DBT_ERROR, "parse: ValueError: bad jinja")


def test_a_profile_or_env_var_error_is_exit_3_without_the_exception_name() -> None:
    failure = setup_failure(raised("parse", ProfileError("DBT_REDSHIFT_HOST not set"), cause=SETTINGS))

    assert failure == Failure(EXIT_CONFIG, "parse: DBT_REDSHIFT_HOST not set")


def test_a_failed_connection_is_exit_3_quoting_the_databases_own_words_on_one_line() -> None:
    refused = 'connection to server at "*****", port 5432 failed: FATAL:  password authentication failed\n  '

    failure = setup_failure(
        raised("parse", ConnectError(f"Database Error\n  {refused}"), cause=CONNECTION, message=refused)
    )

    assert failure == Failure(
        EXIT_CONFIG,
        'parse: could not connect to the warehouse: connection to server at "*****", port 5432 failed: '
        "FATAL: password authentication failed",
    )


def test_a_profile_error_quotes_dbts_message_rather_than_its_header() -> None:
    failure = setup_failure(
        raised(
            "parse",
            ProfileError("Runtime Error\n  The profile 'shop' does not have a target named 'nope'."),
            cause=SETTINGS,
            message="The profile 'shop' does not have a target named 'nope'. Valid targets:\n - local",
        )
    )

    assert failure == Failure(
        EXIT_CONFIG,
        "parse: The profile 'shop' does not have a target named 'nope'. Valid targets: - local",
    )


def test_an_error_of_dbt_or_the_project_stays_exit_2_on_one_line() -> None:
    failure = setup_failure(raised("parse", ValueError("Compilation Error\n  unexpected '}'\n")))

    assert failure == Failure(EXIT_DBT_ERROR, "parse: ValueError: Compilation Error unexpected '}'")


def test_a_missing_variable_is_named_in_dbts_words_with_what_dbt_said_instead() -> None:
    dbt_said = 'Credentials in profile "shop", target "postgres" invalid: None is not of type \'string\''

    assert missing_env_vars_message(["DBT_ENV_SECRET_PASSWORD"], dbt_said) == (
        "Env var required but not provided: 'DBT_ENV_SECRET_PASSWORD' "
        '(dbt: Credentials in profile "shop", target "postgres" invalid: None is not of type \'string\')'
    )
    assert missing_env_vars_message(["A", "B"], "x").startswith(
        "Env vars required but not provided: 'A', 'B' ("
    )


def test_deps_and_parse_that_succeed_let_the_run_go_on() -> None:
    assert setup_failure(ok("deps")) is None


def test_fresh_sources_let_the_run_go_on_in_every_mode() -> None:
    sources = [source("source.shop.raw.orders", "pass")]

    assert freshness_failure(ok("freshness"), "fail", sources) is None
    assert freshness_failure(ok("freshness"), "warn", sources) is None


def test_freshness_warn_goes_on_past_stale_and_unchecked_sources() -> None:
    sources = [source("source.shop.raw.orders", "error"), source("source.shop.raw.products", "runtime error")]

    assert freshness_failure(failed("freshness"), "warn", sources) is None
    assert freshness_failure(raised("freshness", RuntimeError("x")), "warn", []) is None


@pytest.mark.parametrize("cause", [SETTINGS, CONNECTION])
def test_freshness_warn_stops_at_a_wrong_profile_or_a_refused_connection(cause: str) -> None:
    # The command would fail the same way: the run ends at the first, telling, failure.
    failure = freshness_failure(
        raised("freshness", ConnectError("x"), cause=cause, message="Connection refused"), "warn", []
    )

    assert failure is not None
    assert failure.exit_code == EXIT_CONFIG
    assert failure.error.startswith("freshness: ")
    assert failure.error.endswith("Connection refused")


def test_freshness_fail_on_a_stale_source_is_exit_1_naming_it() -> None:
    sources = [source("source.shop.raw.orders", "error"), source("source.shop.raw.customers", "pass")]

    failure = freshness_failure(failed("freshness"), "fail", sources)

    assert failure == Failure(EXIT_DBT_FAILED, "freshness: stale past error_after: source.shop.raw.orders")


def test_freshness_fail_on_a_source_that_cannot_be_checked_is_exit_2_even_beside_a_stale_one() -> None:
    sources = [source("source.shop.raw.orders", "error"), source("source.shop.raw.products", "runtime error")]

    failure = freshness_failure(failed("freshness"), "fail", sources)

    assert failure == Failure(EXIT_DBT_ERROR, "freshness: could not check source.shop.raw.products")


def test_freshness_fail_that_raised_is_classified_like_any_step() -> None:
    failure = freshness_failure(raised("freshness", ProfileError("no profile"), cause=SETTINGS), "fail", [])

    assert failure == Failure(EXIT_CONFIG, "freshness: no profile")


def test_the_command_reporting_failures_is_exit_1() -> None:
    assert command_failure(failed("build")) == Failure(EXIT_DBT_FAILED, "build: dbt reported failures")


def test_the_command_raising_is_exit_2_or_3() -> None:
    assert command_failure(raised("run", OSError("disk full"))) == Failure(
        EXIT_DBT_ERROR, "run: OSError: disk full"
    )
    assert command_failure(raised("run", ProfileError("bad"), cause=SETTINGS)) == Failure(
        EXIT_CONFIG, "run: bad"
    )


def test_a_failed_run_operation_names_its_macro_and_the_error_dbt_logged_on_one_bounded_line() -> None:
    said = "Compilation Error in macro refuse (macros/refuse.sql)\n  nope\n  \n  > in macro refuse"

    assert operation_failure(failed("run-operation"), "refuse", said) == Failure(
        EXIT_DBT_FAILED,
        "run-operation: macro refuse failed: "
        "Compilation Error in macro refuse (macros/refuse.sql) nope > in macro refuse",
    )
    long = operation_failure(failed("run-operation"), "refuse", "x" * 5000)
    assert long is not None
    assert len(long.error) < 600
    assert long.error.endswith("…")


def test_a_run_operation_without_a_logged_error_or_that_raised_is_like_any_command() -> None:
    assert operation_failure(failed("run-operation"), "m", None) == command_failure(failed("run-operation"))
    assert operation_failure(failed("run-operation"), "m", "") == command_failure(failed("run-operation"))
    step = raised("run-operation", OSError("disk full"))
    assert operation_failure(step, "m", "ignored") == command_failure(step)
    assert operation_failure(ok("run-operation"), "m", "ignored") is None


def test_the_command_succeeding_is_no_failure() -> None:
    assert command_failure(ok("seed")) is None


@pytest.mark.parametrize(
    ("docs", "exit_code", "follow"),
    [
        (True, EXIT_SUCCESS, True),
        (True, EXIT_DBT_FAILED, True),
        (True, EXIT_DBT_ERROR, False),
        (True, EXIT_CONFIG, False),
        (False, EXIT_SUCCESS, False),
    ],
)
def test_docs_follow_a_command_that_ran_even_with_failures_but_not_one_that_could_not_run(
    docs: bool, exit_code: int, follow: bool
) -> None:
    assert docs_follow(docs, exit_code) is follow


def test_docs_generate_failing_is_exit_2() -> None:
    assert docs_failure(ok("docs")) is None
    assert docs_failure(failed("docs")) == Failure(EXIT_DBT_ERROR, "docs: dbt docs generate failed")
    assert docs_failure(raised("docs", KeyError("catalog"))) == Failure(
        EXIT_DBT_ERROR, "docs: KeyError: 'catalog'"
    )


def test_artifacts_that_cannot_be_stored_are_exit_4_and_the_artifacts_step_an_error() -> None:
    failure = artifacts_failure("cannot write runs/r/summary.json")

    assert failure == Failure(EXIT_ARTIFACTS, "artifacts: cannot write runs/r/summary.json")
    assert artifacts_status(EXIT_ARTIFACTS) == "error"
    # The step's status follows the run's outcome: an earlier failure keeps its exit code.
    assert artifacts_status(EXIT_DBT_FAILED) == "success"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (InvalidRunInput("select", "contains ';'"),
         Failure(EXIT_CONFIG, "InvalidRunInput: select: contains ';'")),
        (ConfigError("retryOf: run 'x' has no run_results.json"),
         Failure(EXIT_CONFIG, "retryOf: run 'x' has no run_results.json")),
        (CredentialsError("secret s could not be read"), Failure(EXIT_CONFIG, "secret s could not be read")),
        (AwsUnreachable("S3 could not be reached to read s3://b/x (ReadTimeoutError)"),
         Failure(EXIT_AWS_UNREACHABLE, "S3 could not be reached to read s3://b/x (ReadTimeoutError)")),
        (Stopped(STOPPED_BY_SIGTERM), Failure(EXIT_DBT_ERROR, STOPPED_BY_SIGTERM)),
        (KeyboardInterrupt(), Failure(EXIT_DBT_ERROR, "stopped")),
    ],
)  # fmt: skip
def test_errors_that_end_a_run_between_steps(error: BaseException, expected: Failure) -> None:
    assert isinstance(error, RUN_ERRORS)
    assert run_error_failure(error) == expected


def test_the_watchdog_stopping_a_run_is_exit_2_naming_the_grace_period() -> None:
    failure = stopped_by_watchdog(2.0)

    assert failure == Failure(
        EXIT_DBT_ERROR,
        "stopped by SIGTERM (the task was stopped or timed out); dbt had not stopped 2 s later",
    )


# --- a selection that matches no node (exit 7) ---------------------------------------------


def test_a_build_whose_selection_matched_no_node_fails_naming_the_selection_and_the_unmatched_word() -> None:
    spec = {"command": "build", "select": "ordrs", "exclude": "tag:wip", "allowEmpty": False}

    assert nothing_selected_failure(ok("build"), spec, 0, ["ordrs"]) == Failure(
        EXIT_NOTHING_SELECTED,
        "build: the selection matched no node (--select ordrs --exclude tag:wip); "
        "no enabled node matches 'ordrs'",
    )


def test_a_selection_emptied_by_its_exclude_fails_though_every_word_matched_something() -> None:
    spec = {"command": "run", "select": "orders", "exclude": "orders"}

    failure = nothing_selected_failure(ok("run"), spec, 0, [])

    assert failure == Failure(
        EXIT_NOTHING_SELECTED, "run: the selection matched no node (--select orders --exclude orders)"
    )


def test_a_command_that_found_nothing_in_the_whole_project_says_no_selection_was_given() -> None:
    failure = nothing_selected_failure(ok("snapshot"), {"command": "snapshot"}, 0, [])

    assert failure is not None
    assert failure.error == (
        "snapshot: the selection matched no node (no select, exclude or selector: the whole project)"
    )


def test_a_yaml_selector_that_matched_nothing_is_named() -> None:
    failure = nothing_selected_failure(ok("build"), {"command": "build", "selector": "nightly"}, 0, [])

    assert failure is not None
    assert "(--selector nightly)" in failure.error


def test_allow_empty_lets_an_empty_selection_succeed() -> None:
    spec = {"command": "build", "select": "ordrs", "allowEmpty": True}

    assert nothing_selected_failure(ok("build"), spec, 0, ["ordrs"]) is None


@pytest.mark.parametrize("nodes", [1, None])
def test_a_selection_that_ran_nodes_or_returned_no_results_to_count_is_not_empty(nodes: int | None) -> None:
    # One word of several matching nothing still ran the others: dbt's warning stays a warning.
    spec = {"command": "build", "select": "ordrs orders"}

    assert nothing_selected_failure(ok("build"), spec, nodes, ["ordrs"]) is None


def test_a_failed_or_raising_command_is_judged_by_its_failures_not_its_selection() -> None:
    spec = {"command": "build", "select": "orders"}

    assert nothing_selected_failure(failed("build"), spec, 0, []) is None
    assert nothing_selected_failure(raised("build", RuntimeError("boom")), spec, None, []) is None


@pytest.mark.parametrize("command", ["retry", "ls", "run-operation", "source freshness"])
def test_commands_without_a_selection_of_their_own_never_fail_for_an_empty_one(command: str) -> None:
    assert nothing_selected_failure(ok(command), {"command": command}, 0, []) is None


def test_dbts_warning_raised_as_an_error_is_exit_7_even_with_allow_empty() -> None:
    # warnError: dbt raised at its own warning and ran nothing, whatever allowEmpty says.
    text = "The selection criterion 'ordrs' does not match any enabled nodes"
    step = raised("build", RuntimeError(text), cause=NOTHING_SELECTED, message=text)

    failure = nothing_selected_failure(
        step, {"command": "build", "select": "ordrs", "allowEmpty": True}, None, []
    )

    assert failure == Failure(
        EXIT_NOTHING_SELECTED, f"build: the selection matched no node (--select ordrs); dbt: {text}"
    )


def test_the_commands_an_empty_selection_fails_are_exactly_those_the_contract_lets_allow_empty() -> None:
    # The run input refuses allowEmpty where it would change nothing: the two lists together
    # are every command, and neither holds one of the other's.
    [rule] = [rule for rule in CONTRACT["rules"] if rule["field"] == "allowEmpty"]
    [command] = [field for field in CONTRACT["fields"] if field["name"] == "command"]

    assert EMPTY_SELECTION_FAILS.isdisjoint(rule["when"]["in"])
    assert EMPTY_SELECTION_FAILS | set(rule["when"]["in"]) == set(command["values"])
