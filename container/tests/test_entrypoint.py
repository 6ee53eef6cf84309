"""The entrypoint end to end, as a subprocess on a host, on real dbt with DuckDB: every exit
code reached by a real cause, summary.json, freshness modes, retry, refusals and redaction."""

from __future__ import annotations

import ctypes
import json
import os
import platform
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import ENTRYPOINT, Moto, Project, list_s3, unreachable_aws_env

pytestmark = pytest.mark.integration

FAILING_TEST = "select * from {{ ref('orders') }}  -- every order is a 'failure': the test must fail\n"
ERRORING_MODEL = "select cast('not a number' as integer) as amount\n"
DOWNSTREAM_MODEL = "select amount from {{ ref('broken_amounts') }}\n"
BUILD_FAILURES: dict[str, str] = {}  # the whole project, broken parts included


def break_project(project: Project) -> None:
    """A failing singular test, a model that errors at run time, and a model downstream of it."""
    project.write("tests/assert_no_orders.sql", FAILING_TEST)
    project.write("models/marts/broken_amounts.sql", ERRORING_MODEL)
    project.write("models/marts/after_broken_amounts.sql", DOWNSTREAM_MODEL)


def make_stale(project: Project, table: str = "raw_orders") -> None:
    project.query(f"update main_sandbox.{table} set _loaded_at = now() - interval 3 day")


def test_sample_project_builds_with_exit_0_and_stores_every_artifact(project: Project) -> None:
    result = project.run("ok-run")

    assert result.exit_code == 0, result.output
    stored = {path.name for path in project.run_dir("ok-run").iterdir()}
    assert stored == {
        "manifest.json", "run_results.json", "sources.json", "catalog.json", "index.html", "dbt.log",
        "summary.json",
    }  # fmt: skip
    summary = project.summary("ok-run")
    assert summary["exitCode"] == 0
    assert summary["nodes"] == []
    assert summary["counts"]["success"] > 0
    assert summary["counts"]["pass"] > 0
    assert summary["freshness"]["status"] == "pass"
    assert [step["name"] for step in summary["steps"]] == [
        "credentials", "deps", "parse", "freshness", "build", "docs",
    ]  # fmt: skip
    # The docs page is the self-contained one: its data is inlined, nothing to fetch.
    index = (project.run_dir("ok-run") / "index.html").read_text()
    assert '"nodes"' in index
    assert "model.shop.orders" in index
    assert (project.artifacts_dir / "latest" / "index.html").read_bytes() == index.encode()


def test_each_step_logs_one_json_line_with_its_duration(project: Project) -> None:
    result = project.run("logged-run", {"docs": False})

    steps = result.log_events("step")
    assert [step["step"] for step in steps] == ["deps", "parse", "freshness", "build", "artifacts"]
    assert all(isinstance(step["seconds"], float) and step["runId"] == "logged-run" for step in steps)
    assert result.log_events("run")[-1]["exitCode"] == 0


def test_failing_test_and_model_error_give_exit_1_with_nodes_in_the_summary(project: Project) -> None:
    break_project(project)

    result = project.run("failing-run", BUILD_FAILURES)

    assert result.exit_code == 1, result.output
    summary = project.summary("failing-run")
    nodes = {node["uniqueId"]: node for node in summary["nodes"]}
    failing_test = nodes["test.shop.assert_no_orders"]
    assert failing_test["status"] == "fail"
    assert failing_test["resourceType"] == "test"
    assert "Got" in failing_test["message"]
    model_error = nodes["model.shop.broken_amounts"]
    assert model_error["status"] == "error"
    assert model_error["resourceType"] == "model"
    assert "not a number" in model_error["message"]
    skipped = nodes["model.shop.after_broken_amounts"]
    assert skipped["status"] == "skipped"
    assert summary["counts"]["fail"] == 1
    assert summary["counts"]["error"] == 1
    assert summary["counts"]["skipped"] >= 1
    assert summary["counts"]["success"] > 0
    assert all(node["status"] != "success" for node in summary["nodes"])
    assert all(step["seconds"] >= 0 for step in summary["steps"])
    assert "build: dbt reported failures" in summary["error"]


def test_vars_and_selectors_reach_dbt_as_given(project: Project) -> None:
    project.write("models/marts/answer.sql", "select {{ var('answer', 0) }} as answer\n")

    result = project.run(
        "with-vars", {"command": "run", "select": "answer stg_orders", "vars": {"answer": 42}}
    )

    assert result.exit_code == 0, result.output
    assert project.query("select answer from main_sandbox.answer") == [(42,)]
    ran = {r["unique_id"] for r in project.artifact("with-vars", "run_results.json")["results"]}
    assert ran == {"model.shop.answer", "model.shop.stg_orders"}


def test_jinja_syntax_error_gives_exit_2(project: Project) -> None:
    project.write("models/marts/typo.sql", "select * from {{ ref('orders' }}\n")

    result = project.run("syntax-run")

    assert result.exit_code == 2, result.output
    summary = project.summary("syntax-run")
    assert summary["exitCode"] == 2
    assert summary["error"].startswith("parse: ")
    assert [step["name"] for step in summary["steps"]][-1] == "parse"
    assert "dbt.log" in {path.name for path in project.run_dir("syntax-run").iterdir()}


def test_missing_secret_gives_exit_3(project: Project, moto: Moto) -> None:
    missing = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:warehouse-AbCdEf"

    result = project.run("no-secret", CREDENTIALS_SOURCE=f"secretsmanager:{missing}", **moto.env())

    assert result.exit_code == 3, result.output
    error = project.summary("no-secret")["error"]
    assert error == f"secret {missing} could not be read (ResourceNotFoundException)"
    assert not any(step["name"] == "deps" for step in project.summary("no-secret")["steps"])


def test_missing_glue_connection_gives_exit_3(project: Project, moto: Moto) -> None:
    result = project.run("no-glue", CREDENTIALS_SOURCE="glue:warehouse-does-not-exist", **moto.env())

    assert result.exit_code == 3, result.output
    assert "Glue connection 'warehouse-does-not-exist'" in project.summary("no-glue")["error"]


@pytest.mark.parametrize(
    ("source", "service"),
    [
        ("secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:warehouse", "Secrets Manager"),
        ("glue:warehouse", "Glue"),
    ],
)
def test_aws_that_cannot_be_reached_for_the_credentials_gives_exit_5(
    project: Project, source: str, service: str
) -> None:
    no_route = unreachable_aws_env()

    result = project.run("no-route", CREDENTIALS_SOURCE=source, **no_route)

    assert result.exit_code == 5, result.output
    summary = project.summary("no-route")
    assert summary["exitCode"] == 5
    assert summary["error"].startswith(f"{service} could not be reached to read ")
    assert summary["error"].endswith(f"(EndpointConnectionError at {no_route['AWS_ENDPOINT_URL']}/)")
    assert summary["steps"][-1]["name"] == "credentials"
    assert summary["steps"][-1]["status"] == "error"
    run = result.log_events("run")[-1]
    assert (run["status"], run["exitCode"], run["error"]) == ("failed", 5, summary["error"])


def test_s3_that_cannot_be_reached_for_retry_of_gives_exit_5(project: Project) -> None:
    no_route = unreachable_aws_env()

    result = project.run(
        "retry-no-route", {"command": "retry", "retryOf": "first-try", "docs": False},
        ARTIFACTS_URI="s3://artifacts/dbt", **no_route,
    )  # fmt: skip

    assert result.exit_code == 5, result.output
    # Nowhere to store the summary either: the log line is the record, and keeps exit 5.
    error = result.log_events("run")[-1]["error"]
    assert error.startswith("S3 could not be reached to read s3://artifacts/dbt/runs/first-try/")
    assert f"(EndpointConnectionError at {no_route['AWS_ENDPOINT_URL']}" in error


def test_retry_of_from_a_bucket_that_refuses_the_read_gives_exit_3(project: Project, moto: Moto) -> None:
    result = project.run(
        "retry-no-bucket", {"command": "retry", "retryOf": "first-try", "docs": False},
        ARTIFACTS_URI="s3://no-such-bucket/dbt", **moto.env(),
    )  # fmt: skip

    assert result.exit_code == 3, result.output
    error = result.log_events("run")[-1]["error"]
    assert error.startswith("retryOf: cannot read s3://no-such-bucket/dbt/runs/first-try/")
    assert error.endswith(": NoSuchBucket")


def test_redshift_target_without_its_variables_gives_exit_3(project: Project) -> None:
    result = project.run("no-warehouse-env", {"freshness": "skip"}, DBT_TARGET="redshift")

    assert result.exit_code == 3, result.output
    assert "DBT_WAREHOUSE_HOST" in project.summary("no-warehouse-env")["error"]


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"command": "deploy"}, "command"),
        ({"select": "orders; touch x"}, "select"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_invalid_run_spec_gives_exit_3_naming_the_field(project: Project, spec: dict, field: str) -> None:
    result = project.run("bad-spec", spec)

    assert result.exit_code == 3
    error = project.summary("bad-spec")["error"]
    assert error.startswith(f"InvalidRunInput: {field}: ")
    assert [step["step"] for step in result.log_events("step")] == ["artifacts"]


def test_missing_run_id_gives_exit_3_naming_it(project: Project) -> None:
    env_run = project.run("", {})

    assert env_run.exit_code == 3
    assert "RUN_ID: not set" in env_run.stdout


def test_unwritable_artifacts_folder_gives_exit_4_after_a_good_run(project: Project, tmp_path: Path) -> None:
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("artifacts cannot go below a regular file")

    result = project.run("unwritable", {"docs": False}, ARTIFACTS_URI=(not_a_folder / "store").as_uri())

    assert result.exit_code == 4, result.output
    assert result.log_events("run")[-1]["error"].startswith("artifacts: cannot write")


def test_missing_bucket_gives_exit_4(project: Project, moto: Moto) -> None:
    result = project.run("no-bucket", {"docs": False}, ARTIFACTS_URI="s3://no-such-bucket/dbt", **moto.env())

    assert result.exit_code == 4, result.output
    assert "NoSuchBucket" in result.log_events("run")[-1]["error"]


def test_dbt_failures_keep_their_exit_code_when_artifacts_also_fail(project: Project, tmp_path: Path) -> None:
    break_project(project)
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")

    result = project.run("both-fail", BUILD_FAILURES, ARTIFACTS_URI=(not_a_folder / "x").as_uri())

    assert result.exit_code == 1


def test_summary_is_the_same_on_s3_as_on_file(project: Project, moto: Moto, bucket: str) -> None:
    break_project(project)
    on_file = project.run("same-run", {**BUILD_FAILURES, "docs": False})
    file_names = {path.name for path in project.run_dir("same-run").iterdir()}
    file_summary = project.summary("same-run")
    on_s3 = project.run(
        "same-run", {**BUILD_FAILURES, "docs": False}, ARTIFACTS_URI=f"s3://{bucket}/team-a", **moto.env()
    )

    assert on_file.exit_code == on_s3.exit_code == 1
    stored = list_s3(moto, bucket, "team-a/runs/same-run/attempt-1/")
    assert set(stored) == {f"team-a/runs/same-run/attempt-1/{name}" for name in file_names}
    s3_summary = json.loads(stored["team-a/runs/same-run/attempt-1/summary.json"])
    for volatile in ("startedAt", "finishedAt", "steps"):
        file_summary.pop(volatile)
        s3_summary.pop(volatile)
    assert s3_summary == file_summary


def test_freshness_fail_stops_the_run_on_a_stale_source(project: Project) -> None:
    make_stale(project)

    result = project.run("stale-fail", {"freshness": "fail"})

    assert result.exit_code == 1, result.output
    summary = project.summary("stale-fail")
    assert summary["freshness"]["status"] == "error"
    assert [source["uniqueId"] for source in summary["freshness"]["sources"]] == ["source.shop.raw.orders"]
    assert summary["freshness"]["sources"][0]["maxLoadedAt"]
    assert {"name": "build", "status": "skipped", "seconds": 0.0} in summary["steps"]
    assert summary["counts"]["success"] == 0
    assert not (project.run_dir("stale-fail") / "run_results.json").exists()
    # No step after parse wrote a manifest: the parsed one is stored instead.
    assert "model.shop.orders" in project.artifact("stale-fail", "manifest.json")["nodes"]


def test_freshness_fail_on_a_source_that_cannot_be_checked_gives_exit_2(project: Project) -> None:
    project.query("drop table main_sandbox.raw_products")

    # `run` loads no seed: the table stays missing (a build would seed it, and leave it unchecked).
    result = project.run("unchecked", {"command": "run", "freshness": "fail"})

    assert result.exit_code == 2, result.output
    summary = project.summary("unchecked")
    assert summary["error"] == "freshness: could not check source.shop.raw.products"
    products = [s for s in summary["freshness"]["sources"] if s["uniqueId"] == "source.shop.raw.products"]
    assert products[0]["status"] == "error"
    assert "raw_products" in products[0]["message"]


def test_freshness_warn_reports_the_stale_source_and_runs_on(project: Project) -> None:
    make_stale(project)

    result = project.run("stale-warn", {"freshness": "warn", "docs": False})

    assert result.exit_code == 0, result.output
    summary = project.summary("stale-warn")
    assert summary["freshness"]["status"] == "error"
    assert summary["freshness"]["sources"][0]["uniqueId"] == "source.shop.raw.orders"
    assert summary["counts"]["success"] > 0


def test_freshness_skip_does_not_check_sources(project: Project) -> None:
    make_stale(project)

    result = project.run("stale-skip", {"freshness": "skip", "docs": False})

    assert result.exit_code == 0, result.output
    summary = project.summary("stale-skip")
    assert summary["freshness"] == {"status": "skipped", "sources": []}
    assert {"name": "freshness", "status": "skipped", "seconds": 0.0} in summary["steps"]
    assert not (project.run_dir("stale-skip") / "sources.json").exists()


def test_retry_reruns_only_failed_and_skipped_nodes(project: Project) -> None:
    break_project(project)
    first = project.run("first-try", {**BUILD_FAILURES, "docs": False})
    assert first.exit_code == 1
    first_results = project.artifact("first-try", "run_results.json")["results"]
    not_succeeded = {r["unique_id"] for r in first_results if r["status"] in ("error", "fail", "skipped")}
    project.write("models/marts/broken_amounts.sql", "select 42 as amount\n")
    project.write("tests/assert_no_orders.sql", "select * from {{ ref('orders') }} where false\n")
    # The earlier run's files come from the artifacts store, not from this host's target/.
    (project.root / "target" / "run_results.json").unlink()

    retry = project.run("second-try", {"command": "retry", "retryOf": "first-try", "docs": False})

    assert retry.exit_code == 0, retry.output
    rerun = {r["unique_id"] for r in project.artifact("second-try", "run_results.json")["results"]}
    assert rerun
    assert rerun <= not_succeeded
    assert "model.shop.broken_amounts" in rerun
    assert "model.shop.after_broken_amounts" in rerun
    assert not rerun & {r["unique_id"] for r in first_results if r["status"] in ("success", "pass")}


def test_retry_of_an_unknown_run_gives_exit_3(project: Project) -> None:
    result = project.run("lost-retry", {"command": "retry", "retryOf": "never-ran"})

    assert result.exit_code == 3
    assert "retryOf: run 'never-ran' has no run_results.json" in project.summary("lost-retry")["error"]


def test_selector_with_shell_metacharacters_is_refused_and_no_shell_runs(
    project: Project, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    attempts = [
        f"orders; touch {marker}",
        f"$(touch {marker})",
        f"`touch {marker}`",
        f"orders && touch {marker}",
    ]

    for number, selector in enumerate(attempts):
        result = project.run(f"inject-{number}", {"select": selector})
        assert result.exit_code == 3
        assert project.summary(f"inject-{number}")["error"].startswith("InvalidRunInput: select: contains")
        assert "deps" not in {step["step"] for step in result.log_events("step")}
    assert not marker.exists()


def test_dbt_flag_smuggled_in_a_selector_is_refused(project: Project) -> None:
    result = project.run("flag-smuggle", {"select": "orders --target prod"})

    assert result.exit_code == 3
    assert "would act as a dbt flag" in project.summary("flag-smuggle")["error"]


SECRET = 'pa$$-w0rd"with\\quotes-7731'
# A secret by its name that a model may read (dbt refuses DBT_ENV_SECRET_ variables outside
# profiles.yml), cast so that the database's error quotes it.
LEAKY_MODEL = "select cast('{{ env_var(\"WAREHOUSE_API_TOKEN\") }}' as integer) as leak\n"


def assert_secret_nowhere(
    result_output: str, artifacts_dir: Path | None, s3_objects: dict[str, bytes] | None
) -> None:
    forms = {SECRET, SECRET.replace("\\", "\\\\").replace('"', '\\"')}
    for form in forms:
        assert form not in result_output
        if artifacts_dir is not None:
            for path in artifacts_dir.rglob("*"):
                if path.is_file():
                    assert form.encode() not in path.read_bytes(), path
        for key, body in (s3_objects or {}).items():
            assert form.encode() not in body, key


def test_secret_from_env_never_reaches_stdout_log_or_artifacts(project: Project) -> None:
    # The secret lands in compiled SQL (manifest, run_results) and in the database's own
    # error message (stdout, dbt.log, summary.json): every path the runner lets out.
    project.write("models/marts/leaky.sql", LEAKY_MODEL)

    result = project.run("leak-env", {"select": "leaky"}, WAREHOUSE_API_TOKEN=SECRET)

    assert result.exit_code == 1, result.output
    assert "*****" in (project.run_dir("leak-env") / "dbt.log").read_text()
    assert "*****" in project.summary("leak-env")["nodes"][0]["message"]
    assert_secret_nowhere(result.output, project.artifacts_dir, None)


def test_secret_from_secrets_manager_never_reaches_stdout_log_or_artifacts(
    project: Project, moto: Moto, bucket: str
) -> None:
    # The password becomes DBT_ENV_SECRET_PASSWORD for the profile. Here the profile names the
    # DuckDB file after it, so dbt writes it into every relation of the manifest and the run
    # results: the runner must mask it there as in its output. (Characters a file name and an
    # identifier can hold: the quoting of odd ones is the env test's.)
    password = "sm-pass-w0rd-4417"
    arn = moto.client("secretsmanager").create_secret(
        Name="warehouse-leak-test",
        SecretString=json.dumps(
            {"host": "example.internal", "port": 5439, "username": "dbt", "password": password}
        ),
    )["ARN"]
    profiles = (project.root / "profiles.yml").read_text()
    project.write(
        "profiles.yml",
        profiles.replace(
            "path: \"{{ env_var('DBT_DUCKDB_PATH', 'shop.duckdb') }}\"",
            f"path: \"{project.root}/{{{{ env_var('DBT_ENV_SECRET_PASSWORD') }}}}.duckdb\"",
        ),
    )

    result = project.run(
        "leak-sm", {"select": "stg_orders", "freshness": "skip"}, CREDENTIALS_SOURCE=f"secretsmanager:{arn}",
        ARTIFACTS_URI=f"s3://{bucket}/dbt", **moto.env(),
    )  # fmt: skip

    objects = list_s3(moto, bucket)
    assert "dbt/runs/leak-sm/attempt-1/summary.json" in objects
    assert b"*****" in objects["dbt/runs/leak-sm/attempt-1/manifest.json"]
    for text in (result.output, *objects.values()):
        assert (password not in text) if isinstance(text, str) else (password.encode() not in text)


def test_docs_off_leaves_latest_untouched(project: Project) -> None:
    assert project.run("docs-on").exit_code == 0
    latest = project.artifacts_dir / "latest" / "manifest.json"
    before = latest.read_bytes()
    project.write("models/marts/extra_model.sql", "select 1 as id\n")

    assert project.run("docs-off", {"docs": False}).exit_code == 0

    assert latest.read_bytes() == before
    assert b"extra_model" in (project.run_dir("docs-off") / "manifest.json").read_bytes()


def test_a_failed_run_leaves_latest_to_the_last_successful_run(project: Project) -> None:
    assert project.run("good-run").exit_code == 0
    latest = project.artifacts_dir / "latest"
    before = {path.name: path.read_bytes() for path in latest.iterdir()}
    break_project(project)

    failed = project.run("bad-run", BUILD_FAILURES)

    assert failed.exit_code == 1
    assert {path.name: path.read_bytes() for path in latest.iterdir()} == before
    assert set(before) == {
        "index.html", "manifest.json", "catalog.json", "run_results.json", "sources.json", "summary.json",
    }  # fmt: skip
    assert before["run_results.json"] == (project.run_dir("good-run") / "run_results.json").read_bytes()
    assert before["summary.json"] == (project.run_dir("good-run") / "summary.json").read_bytes()
    # The failed run's docs are generated all the same, in its own folder.
    assert b"broken_amounts" in (project.run_dir("bad-run") / "index.html").read_bytes()


def test_two_attempts_of_a_run_store_in_two_folders_and_retry_reads_the_last(project: Project) -> None:
    break_project(project)
    first = project.run("twice", {**BUILD_FAILURES, "docs": False}, RUN_ATTEMPT="1")
    project.write("models/marts/broken_amounts.sql", "select 42 as amount\n")
    second = project.run("twice", {**BUILD_FAILURES, "docs": False}, RUN_ATTEMPT="2")

    assert (first.exit_code, second.exit_code) == (1, 1)
    assert [project.summary("twice", attempt)["attempt"] for attempt in (1, 2)] == [1, 2]
    first_failed = {n["uniqueId"] for n in project.summary("twice", 1)["nodes"] if n["status"] == "error"}
    assert "model.shop.broken_amounts" in first_failed
    assert not any(n["status"] == "error" for n in project.summary("twice", 2)["nodes"])
    assert second.log_events("run")[-1]["artifacts"] == project.run_dir("twice", 2).as_uri() + "/"
    pointer = json.loads((project.artifacts_dir / "runs" / "twice" / "last-attempt.json").read_text())
    assert pointer["attempt"] == 2

    project.write("tests/assert_no_orders.sql", "select * from {{ ref('orders') }} where false\n")
    retry = project.run("after-twice", {"command": "retry", "retryOf": "twice", "docs": False})

    assert retry.exit_code == 0, retry.output
    rerun = {r["unique_id"] for r in project.artifact("after-twice", "run_results.json")["results"]}
    # The second attempt's failures only: the model the first attempt failed on built in the second.
    assert any(unique_id.startswith("test.shop.assert_no_orders") for unique_id in rerun)
    assert "model.shop.broken_amounts" not in rerun


SLOW_MODEL = "select sum(r.range) as total from range(400000000000) as r\n"


def _start_slow_run(project: Project, run_id: str) -> subprocess.Popen[str]:
    """The entrypoint running a query DuckDB needs minutes for, returned once dbt starts it."""
    project.write("models/marts/slow.sql", SLOW_MODEL)
    process = subprocess.Popen(
        [sys.executable, str(ENTRYPOINT)],
        env=project.env(
            run_id,
            {"select": "slow", "freshness": "skip", "docs": False},
            STOP_GRACE_SECONDS="2",
            # A process that does not end gets SIGABRT: its threads' stacks say where it hangs.
            PYTHONFAULTHANDLER="1",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 120
    for line in process.stdout:
        if "START sql table model" in line or time.monotonic() > deadline:
            break
    return process


def _output_once_stopped(process: subprocess.Popen[str]) -> str:
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        output, _ = process.communicate(timeout=30)
        raise AssertionError(f"the entrypoint was still running 30 s after SIGTERM:\n{output}") from None
    finally:
        process.kill()
    return output


def test_sigterm_stores_the_artifacts_before_ecs_would_kill_the_task(project: Project) -> None:
    # dbt-duckdb cannot always cancel the query (dbt-redshift can), so this may take the
    # watchdog's path: artifacts stored within the grace period.
    process = _start_slow_run(project, "stopped-run")
    stopped_at = time.monotonic()
    process.terminate()
    output = _output_once_stopped(process)

    assert process.returncode == 2, output
    assert time.monotonic() - stopped_at < 15
    summary = project.summary("stopped-run")
    assert summary["error"].startswith("stopped by SIGTERM")
    # "stopped": the watchdog stored the artifacts while DuckDB was still busy; "error": dbt
    # came back from the interrupt first.
    assert summary["steps"][-1]["name"] == "build"
    assert summary["steps"][-1]["status"] in ("stopped", "error")
    assert (project.run_dir("stopped-run") / "dbt.log").is_file()


# tgkill(2), to send a signal to one thread as the kernel may hand a process's signal to it.
TGKILL = {"x86_64": 234, "aarch64": 131}


def _sigterm_to_another_thread(pid: int) -> None:
    def blocks_sigterm(tid: int) -> bool:
        status = Path(f"/proc/{pid}/task/{tid}/status").read_text()
        blocked = next(line for line in status.splitlines() if line.startswith("SigBlk:")).split()[1]
        return bool(int(blocked, 16) & (1 << (signal.SIGTERM - 1)))

    others = [int(tid) for tid in os.listdir(f"/proc/{pid}/task") if int(tid) != pid]
    target = [tid for tid in others if not blocks_sigterm(tid)][-1]
    number = TGKILL.get(platform.machine())
    assert number is not None, f"no tgkill syscall number for {platform.machine()}: add it to TGKILL"
    assert ctypes.CDLL(None, use_errno=True).syscall(number, pid, target, signal.SIGTERM) == 0


def test_sigterm_taken_by_another_thread_than_the_main_one_still_stops_the_run(project: Project) -> None:
    # The kernel hands a process's SIGTERM to any thread that does not block it. Taken by one of
    # dbt's or DuckDB's threads, it used to leave the main thread waiting on dbt's queue until
    # ECS's SIGKILL: here it is sent to such a thread on purpose.
    process = _start_slow_run(project, "stopped-elsewhere")
    time.sleep(0.5)  # the query is running: dbt's main thread waits on its queue
    _sigterm_to_another_thread(process.pid)
    output = _output_once_stopped(process)

    assert process.returncode == 2, output
    assert project.summary("stopped-elsewhere")["error"].startswith("stopped by SIGTERM")


def test_run_stops_itself_at_its_deadline_with_exit_6_naming_the_running_models(project: Project) -> None:
    # Two queries DuckDB needs minutes for, and a quick model that finishes first. The
    # deadline is real: RUN_ATTEMPT_STARTED_AT as Step Functions would give it, set so that
    # this 60 s run's deadline (60 s less its 30 s margin) falls about 20 s from now, while
    # the slow models run.
    slow = SLOW_MODEL
    project.write("models/marts/slow_orders_total.sql", slow)
    project.write("models/marts/slow_customers_total.sql", slow)
    attempt_started_at = datetime.now(UTC) - timedelta(seconds=10)
    spec = {
        "select": "slow_orders_total slow_customers_total stg_customers",
        "freshness": "skip",
        "docs": False,
        "timeoutSeconds": 60,
    }
    started = time.monotonic()

    result = project.run(
        "deadline-run",
        spec,
        STOP_GRACE_SECONDS="2",
        RUN_ATTEMPT_STARTED_AT=attempt_started_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    )

    assert result.exit_code == 6, result.output
    # The deadline, at most the 2 s grace for dbt to cancel the queries, then the store.
    assert time.monotonic() - started < 40
    [deadline] = result.log_events("deadline")
    assert deadline["limitSeconds"] == 60
    assert deadline["marginSeconds"] == 30
    summary = project.summary("deadline-run")
    assert summary["exitCode"] == 6
    assert summary["error"].startswith("stopped at the run's deadline: its 60 s limit less 30 s")
    assert sorted(summary["runningNodes"]) == [
        "model.shop.slow_customers_total",
        "model.shop.slow_orders_total",
    ]
    # "error": dbt came back from the interrupt; "stopped": the watchdog stored the run while
    # DuckDB was still busy.
    assert summary["steps"][-1]["name"] == "build"
    assert summary["steps"][-1]["status"] in ("stopped", "error")
    run_dir = project.run_dir("deadline-run")
    assert (run_dir / "dbt.log").is_file()
    # What dbt wrote when it was interrupted: the quick model's result, not the running ones'.
    results = {
        item["unique_id"]: item["status"]
        for item in project.artifact("deadline-run", "run_results.json")["results"]
    }
    assert results["model.shop.stg_customers"] == "success"
    assert not set(results) & set(summary["runningNodes"])


def test_run_without_its_attempt_start_counts_the_deadline_from_the_container_start(project: Project) -> None:
    result = project.run(
        "own-clock", {"select": "stg_customers", "freshness": "skip", "docs": False, "timeoutSeconds": 600}
    )

    assert result.exit_code == 0, result.output
    [deadline] = result.log_events("deadline")
    # 600 s less the margin (20 s grace + 10 s to store + 60 s for ECS), from about now.
    assert deadline["marginSeconds"] == 90
    assert 500 < deadline["secondsLeft"] <= 510


def test_a_typo_in_the_selection_fails_the_run_with_exit_7_naming_the_selection(project: Project) -> None:
    result = project.run("typo", {"select": "ordrs", "freshness": "skip"})

    assert result.exit_code == 7, result.output
    summary = project.summary("typo")
    assert summary["exitCode"] == 7
    assert summary["error"] == (
        "build: the selection matched no node (--select ordrs); no enabled node matches 'ordrs'"
    )
    assert summary["counts"]["success"] == 0
    # Nothing was built, so there is nothing for docs to describe.
    assert [step["name"] for step in summary["steps"]][-1] == "build"
    assert not (project.run_dir("typo") / "index.html").exists()


def test_allow_empty_lets_a_selection_that_matches_nothing_succeed(project: Project) -> None:
    result = project.run(
        "maybe-nothing", {"select": "ordrs", "freshness": "skip", "docs": False, "allowEmpty": True}
    )

    assert result.exit_code == 0, result.output
    summary = project.summary("maybe-nothing")
    assert summary["exitCode"] == 0
    assert "error" not in summary


def test_with_warn_error_dbt_refuses_the_empty_selection_itself_and_the_run_still_exits_7(
    project: Project,
) -> None:
    result = project.run("strict-typo", {"select": "ordrs", "freshness": "skip", "warnError": True})

    assert result.exit_code == 7, result.output
    assert project.summary("strict-typo")["error"] == (
        "build: the selection matched no node (--select ordrs); "
        "dbt: The selection criterion 'ordrs' does not match any enabled nodes"
    )
