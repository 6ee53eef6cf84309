"""Slim CI for pull requests (docs/slim-ci.md): a state-aware run given STATE_URI compares with
that state (live's latest/) and defers to it, and PR_NUMBER puts what it builds into a schema of
the pull request's own, which drop_sandbox drops. Real dbt on DuckDB through the entrypoint: one
"live" build (ENV=live, its artifacts in a file:// store) is the state each pull request's
build compares with, as `serverless-dbt ci build --pr 42` runs it on the CI runner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import Moto, Project, RunResult, unreachable_aws_env
from dbt_runner.aws import AwsUnreachable
from dbt_runner.config import ConfigError, RunnerConfig, check_state_uri, read_config, state_folder
from dbt_runner.dbt_steps import compare_with_state_uri
from dbt_runner.run_spec import parse_run_spec
from dbt_runner.state_aware import Comparison, no_manifest_under

# As the CLI's `ci build --pr 42` sends it (cli/ci/command.ts), without docs to keep runs short.
PR_BUILD = {"job": "pr-42", "command": "build", "only": "changed", "docs": False}
PR_ENV = {"ENV": "ci", "PR_NUMBER": "42"}
PROJECT_MODELS = 6
# What the live build leaves in main: the models and the snapshot.
LIVE_TABLES = [
    "customers",
    "customers_snapshot",
    "orders",
    "stg_customers",
    "stg_order_items",
    "stg_orders",
    "stg_products",
]


@pytest.fixture(scope="module")
def live_template(seeded_template: Project, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The sample project after one successful live build: its seeds in main_raw, its models
    in main, and its latest/ (docs, manifest.json and summary.json) in the artifacts."""
    base = tmp_path_factory.mktemp("live")
    live = Project(base / "project", base / "warehouse.duckdb", base / "artifacts")
    shutil.copytree(seeded_template.root, live.root, ignore=shutil.ignore_patterns("logs"))
    shutil.copy(seeded_template.duckdb_path, live.duckdb_path)
    result = live.run("live", {"job": "nightly", "command": "build"}, ENV="live")
    assert result.exit_code == 0, result.output
    return live


@pytest.fixture
def live(live_template: Project, tmp_path: Path) -> Project:
    copy = Project(tmp_path / "project", tmp_path / "warehouse.duckdb", tmp_path / "artifacts")
    shutil.copytree(live_template.root, copy.root, ignore=shutil.ignore_patterns("logs"))
    shutil.copy(live_template.duckdb_path, copy.duckdb_path)
    shutil.copytree(live_template.artifacts_dir, copy.artifacts_dir)
    return copy


def pr_artifacts(live: Project) -> Path:
    """The pull request's builds' own artifacts folder (the CLI's state folder on the runner)."""
    return live.artifacts_dir.parent / "pr-artifacts"


def pr_build(live: Project, run_id: str, state_uri: str, **extra: str) -> RunResult:
    """A pull request's build as the CI runner runs it: its own artifacts folder, live's state
    as STATE_URI."""
    return live.run(
        run_id, PR_BUILD, ARTIFACTS_URI=pr_artifacts(live).as_uri(), STATE_URI=state_uri, **PR_ENV, **extra
    )


def latest_uri(live: Project) -> str:
    return (live.artifacts_dir / "latest").as_uri() + "/"


def pr_file(live: Project, run_id: str, name: str) -> Any:
    return json.loads((pr_artifacts(live) / "runs" / run_id / "attempt-1" / name).read_text())


def pr_summary(live: Project, run_id: str) -> dict[str, Any]:
    return pr_file(live, run_id, "summary.json")


def pr_models(live: Project, run_id: str) -> dict[str, dict[str, Any]]:
    """The models a pull request's build ran: unique id → its result (relation, compiled SQL)."""
    results = pr_file(live, run_id, "run_results.json")["results"]
    return {result["unique_id"]: result for result in results if result["unique_id"].startswith("model.")}


def tables_in(live: Project, schema: str) -> list[str]:
    rows = live.query(f"select table_name from information_schema.tables where table_schema = '{schema}'")
    return sorted(row[0] for row in rows)


def schemas(live: Project) -> set[str]:
    return {row[0] for row in live.query("select schema_name from information_schema.schemata")}


def touch(live: Project, relative: str) -> None:
    path = live.root / relative
    path.write_text(path.read_text() + "\n-- touched by the pull request\n")


def succeeded(result: RunResult) -> RunResult:
    assert result.exit_code == 0, result.output
    return result


# --- STATE_URI, read and checked at start-up -------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "folder"),
    [
        ("s3://live-artifacts/dbt/latest/", "s3://live-artifacts/dbt/latest/"),
        ("s3://live-artifacts/dbt/latest", "s3://live-artifacts/dbt/latest/"),
        ("file:///srv/state", "file:///srv/state/"),
    ],
)
def test_state_uri_names_a_folder_with_one_trailing_slash(raw: str, folder: str) -> None:
    assert state_folder(raw) == folder


def test_an_unset_or_empty_state_uri_is_none() -> None:
    base = {"RUN_ID": "r", "ARTIFACTS_URI": "file:///tmp/a"}
    assert read_config(base).state_uri is None
    assert read_config({**base, "STATE_URI": " "}).state_uri is None


def config_with_state(state_uri: str | None) -> RunnerConfig:
    return RunnerConfig(
        run_id="r", artifacts_uri="file:///unused", project_dir=Path("/p"), profiles_dir=Path("/p"),
        target=None, credentials_source="env", raw_spec="{}", state_uri=state_uri,
    )  # fmt: skip


STATE_AWARE = parse_run_spec({"command": "build", "only": "changed"})


@pytest.mark.parametrize(
    "raw",
    [
        "https://live-artifacts.s3.amazonaws.com/dbt/latest/",
        "s3:///dbt/latest/",
        "file://other-host/srv/state/",
        "file:///",
        "/srv/state/",
        "s3://live-artifacts/dbt/latest/manifest.json",
    ],
)
def test_a_malformed_state_uri_is_refused_naming_it(raw: str) -> None:
    with pytest.raises(ConfigError, match=r"^STATE_URI: "):
        check_state_uri(config_with_state(raw), STATE_AWARE)


def test_state_uri_is_refused_on_a_run_that_is_not_state_aware() -> None:
    config = config_with_state("s3://live-artifacts/dbt/latest/")
    with pytest.raises(ConfigError, match=r"^STATE_URI: only a state-aware run \(`only: changed`\)"):
        check_state_uri(config, parse_run_spec({"command": "build"}))
    check_state_uri(config, STATE_AWARE)
    check_state_uri(config_with_state(None), parse_run_spec({"command": "build"}))


# --- What the summary says -------------------------------------------------------------------


def test_summary_of_a_pull_requests_build_names_the_state_and_leaves_source_data_out() -> None:
    uri = "s3://live-artifacts/dbt/latest/"
    comparison = Comparison("pr-42", compared_with="live-run-7", state_uri=uri)
    assert comparison.to_json(6, 2) == {
        "comparedWith": "live-run-7",
        "stateUri": uri,
        "models": 6,
        "built": 2,
        "deferred": 4,
        "reason": "2 of 6 models changed since run live-run-7; 4 deferred",
    }
    assert (
        comparison.to_json(6, 0)["reason"]
        == "nothing changed since run live-run-7: no model built, 6 deferred"
    )
    # A state whose summary names no run is named by its folder.
    unnamed = Comparison("pr-42", compared_with=uri, state_uri=uri)
    assert unnamed.to_json(6, 1)["reason"] == f"1 of 6 models changed since the state in {uri}; 5 deferred"
    assert no_manifest_under("pr-42", uri).to_json(6, 6) == {
        "comparedWith": None,
        "stateUri": uri,
        "models": 6,
        "built": 6,
        "deferred": 0,
        "reason": f"no manifest.json under {uri}: built everything",
    }


# --- Reading the state ----------------------------------------------------------------------


def test_the_state_is_named_by_its_summarys_run_id_or_else_by_its_uri(tmp_path: Path) -> None:
    folder = tmp_path / "latest"
    folder.mkdir()
    (folder / "manifest.json").write_text('{"nodes": {}}')
    uri = folder.as_uri() + "/"

    comparison, state_dir = compare_with_state_uri("pr-42", uri, tmp_path / "state")
    assert (comparison.compared_with, state_dir) == (uri, tmp_path / "state")
    assert (tmp_path / "state" / "manifest.json").read_text() == '{"nodes": {}}'

    (folder / "summary.json").write_text("{not json")
    assert compare_with_state_uri("pr-42", uri, tmp_path / "state")[0].compared_with == uri

    (folder / "summary.json").write_text('{"runId": "live-run-7", "exitCode": 0}')
    assert compare_with_state_uri("pr-42", uri, tmp_path / "state")[0].compared_with == "live-run-7"


def test_a_state_folder_without_manifest_leaves_nothing_to_compare_with(tmp_path: Path) -> None:
    uri = (tmp_path / "nothing-here").as_uri() + "/"
    comparison, state_dir = compare_with_state_uri("pr-42", uri, tmp_path / "state")
    assert state_dir is None
    assert comparison.because == f"no manifest.json under {uri}"


@pytest.mark.integration
def test_a_state_on_s3_that_refuses_the_read_is_a_setting_naming_state_uri(
    moto: Moto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in moto.env().items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ConfigError) as refused:
        compare_with_state_uri("pr-42", "s3://no-such-bucket/dbt/latest/", tmp_path / "state")

    assert str(refused.value) == (
        "STATE_URI: cannot read s3://no-such-bucket/dbt/latest/manifest.json: NoSuchBucket"
    )


@pytest.mark.integration
def test_a_state_on_s3_that_cannot_be_reached_is_aws_unreachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in unreachable_aws_env().items():
        monkeypatch.setenv(name, value)

    with pytest.raises(
        AwsUnreachable, match=r"^S3 could not be reached to read s3://live-artifacts/dbt/latest/manifest.json"
    ):
        compare_with_state_uri("pr-42", "s3://live-artifacts/dbt/latest/", tmp_path / "state")


# --- A pull request's build on real dbt ----------------------------------------------------


@pytest.mark.integration
def test_a_pull_requests_build_puts_what_changed_in_its_schema_and_reads_the_rest_from_live(
    live: Project,
) -> None:
    touch(live, "models/marts/orders.sql")

    succeeded(pr_build(live, "pr-1", latest_uri(live)))

    built = pr_models(live, "pr-1")
    assert sorted(built) == ["model.shop.customers", "model.shop.orders"]
    assert {result["relation_name"] for result in built.values()} == {
        '"warehouse"."main_pr_42"."customers"',
        '"warehouse"."main_pr_42"."orders"',
    }
    # The unchanged parents are live's relations, not copies in the pull request's schema.
    orders_sql = built["model.shop.orders"]["compiled_code"]
    assert '"warehouse"."main"."stg_orders"' in orders_sql
    assert '"warehouse"."main"."stg_order_items"' in orders_sql
    assert tables_in(live, "main_pr_42") == ["customers", "orders"]
    assert tables_in(live, "main") == LIVE_TABLES
    assert pr_summary(live, "pr-1")["stateAware"] == {
        "comparedWith": "live",
        "stateUri": latest_uri(live),
        "models": PROJECT_MODELS,
        "built": 2,
        "deferred": 4,
        "reason": "2 of 6 models changed since run live; 4 deferred",
    }


@pytest.mark.integration
def test_a_later_push_reads_an_unchanged_parent_from_live_not_from_its_earlier_copy(live: Project) -> None:
    stg_orders = live.root / "models" / "staging" / "stg_orders.sql"
    original = stg_orders.read_text()
    touch(live, "models/staging/stg_orders.sql")
    succeeded(pr_build(live, "first-push", latest_uri(live)))
    assert sorted(pr_models(live, "first-push")) == [
        "model.shop.customers",
        "model.shop.orders",
        "model.shop.stg_orders",
    ]
    assert "stg_orders" in tables_in(live, "main_pr_42")

    # The second push takes the change to stg_orders back and changes orders instead.
    stg_orders.write_text(original)
    touch(live, "models/marts/orders.sql")
    succeeded(pr_build(live, "second-push", latest_uri(live)))

    built = pr_models(live, "second-push")
    assert sorted(built) == ["model.shop.customers", "model.shop.orders"]
    # main_pr_42.stg_orders is the first push's stale copy (--favor-state).
    orders_sql = built["model.shop.orders"]["compiled_code"]
    assert '"warehouse"."main"."stg_orders"' in orders_sql
    assert "main_pr_42" not in orders_sql


@pytest.mark.integration
def test_from_s3_with_nothing_changed_no_model_is_built_and_the_run_succeeds(
    live: Project, moto: Moto, bucket: str
) -> None:
    s3 = moto.client("s3")
    for path in (live.artifacts_dir / "latest").iterdir():
        s3.put_object(Bucket=bucket, Key=f"dbt/latest/{path.name}", Body=path.read_bytes())
    state_uri = f"s3://{bucket}/dbt/latest/"

    result = succeeded(pr_build(live, "unchanged", state_uri, **moto.env()))

    assert pr_models(live, "unchanged") == {}
    summary = pr_summary(live, "unchanged")
    assert summary["exitCode"] == 0
    assert summary["stateAware"] == {
        "comparedWith": "live",
        "stateUri": state_uri,
        "models": PROJECT_MODELS,
        "built": 0,
        "deferred": PROJECT_MODELS,
        "reason": "nothing changed since run live: no model built, 6 deferred",
    }
    [event] = result.log_events("stateAware")
    assert (event["comparedWith"], event["stateUri"]) == ("live", state_uri)
    assert "main_pr_42" not in schemas(live)


@pytest.mark.integration
def test_a_state_uri_without_manifest_builds_everything_and_says_so(live: Project, tmp_path: Path) -> None:
    empty = tmp_path / "no-state-yet"
    empty.mkdir()
    state_uri = empty.as_uri() + "/"

    succeeded(pr_build(live, "no-state", state_uri))

    assert len(pr_models(live, "no-state")) == PROJECT_MODELS
    # Everything, seeds and snapshot too, in the pull request's schema.
    assert set(LIVE_TABLES) <= set(tables_in(live, "main_pr_42"))
    assert "raw_orders" in tables_in(live, "main_pr_42")
    assert pr_summary(live, "no-state")["stateAware"]["reason"] == (
        f"no manifest.json under {state_uri}: built everything"
    )


@pytest.mark.integration
def test_a_malformed_state_uri_is_exit_3_naming_it(live: Project) -> None:
    result = pr_build(live, "bad-state", "https://live-artifacts.s3.amazonaws.com/dbt/latest/")

    assert result.exit_code == 3, result.output
    assert pr_summary(live, "bad-state")["error"].startswith(
        "STATE_URI: expected the folder of a manifest.json as s3://bucket/prefix/ or file:///path/"
    )


@pytest.mark.integration
def test_a_state_uri_on_a_run_that_is_not_state_aware_is_exit_3_naming_it(live: Project) -> None:
    result = live.run(
        "not-state-aware", {"command": "build", "docs": False}, STATE_URI=latest_uri(live), **PR_ENV
    )

    assert result.exit_code == 3, result.output
    summary = live.summary("not-state-aware")
    assert summary["error"].startswith(
        "STATE_URI: only a state-aware run (`only: changed`) compares with a state"
    )
    # Refused before dbt ran: nothing was built anywhere.
    assert "main_pr_42" not in schemas(live)


# --- PR_NUMBER and drop_sandbox -------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize(
    ("env", "error"),
    [
        ({"PR_NUMBER": "42; drop schema main"}, "PR_NUMBER: must be a pull request's number, 1 to 10 digits"),
        ({"PR_NUMBER": "42", "ENV": "live"}, "PR_NUMBER: not allowed with ENV=live"),
    ],
)
def test_a_pr_number_that_is_not_a_number_or_comes_with_a_deployed_stage_is_refused(
    live: Project, env: dict[str, str], error: str
) -> None:
    result = live.run("refused-pr", {"command": "build", "docs": False}, **env)

    assert result.exit_code == 2, result.output
    summary = live.summary("refused-pr")
    assert summary["error"].startswith(
        "parse: CompilationError: Compilation Error in macro generate_schema_name"
    )
    assert error in summary["error"]
    assert "main_pr_42" not in schemas(live)


@pytest.mark.integration
def test_drop_sandbox_drops_the_pull_requests_schema_and_leaves_lives_alone(live: Project) -> None:
    live.query("create schema main_pr_42; create table main_pr_42.orders as select 1 as id")

    result = live.run("drop", {"command": "run-operation", "macro": "drop_sandbox"}, **PR_ENV)

    assert result.exit_code == 0, result.output
    assert "dropped schema main_pr_42" in result.stdout
    assert "main_pr_42" not in schemas(live)
    assert tables_in(live, "main") == LIVE_TABLES
    assert tables_in(live, "main_raw") == ["raw_customers", "raw_order_items", "raw_orders", "raw_products"]


@pytest.mark.integration
def test_drop_sandbox_of_a_pull_request_that_never_built_succeeds(live: Project) -> None:
    result = live.run(
        "drop-never-built", {"command": "run-operation", "macro": "drop_sandbox"}, ENV="ci", PR_NUMBER="43"
    )

    assert result.exit_code == 0, result.output
    assert "dropped schema main_pr_43" in result.stdout


@pytest.mark.integration
def test_drop_sandbox_refuses_a_deployed_stage(live: Project) -> None:
    result = live.run("drop-live", {"command": "run-operation", "macro": "drop_sandbox"}, ENV="live")

    assert result.exit_code == 1, result.output
    [node] = live.summary("drop-live")["nodes"]
    assert node["uniqueId"] == "macro.shop.drop_sandbox"
    # dbt keeps a macro's error out of run_results.json: its console says it, and so does the
    # summary, for Evaluate's reason and `serverless-dbt ci drop`.
    assert "drop_sandbox: refused with ENV=live" in result.stdout
    assert "drop_sandbox: refused with ENV=live" in live.summary("drop-live")["error"]
    assert "drop_sandbox: refused with ENV=live" in node["message"]
    assert {"main", "main_raw"} <= schemas(live)
