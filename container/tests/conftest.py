"""Shared fixtures: a private copy of the sample dbt project per test (real dbt-duckdb), the
entrypoint run as a subprocess exactly as on a host, and a moto server on 127.0.0.1 standing
in for S3, Glue and Secrets Manager."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ENTRYPOINT = REPO / "container" / "entrypoint.py"
SAMPLE_PROJECT = REPO / "dbt"
PYTHON = sys.executable
COPY_IGNORE = shutil.ignore_patterns("target", "logs", "dbt_packages", "*.duckdb", "*.duckdb.wal")

# Credentials for the moto server only. Deliberately not the word "testing": the runner masks
# every value of a variable named *SECRET*, and a common word would be masked everywhere.
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "AKIAFAKEFORMOTO",
    "AWS_SECRET_ACCESS_KEY": "fake-moto-secret-key",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
}


# `pytest -m "not integration"` stays fast only while every test that runs dbt or moto is
# marked: both need a process (the entrypoint, moto_server), so an unmarked test may start none.
# The session's shared fixtures start theirs before any test, so their users are checked first.
INTEGRATION_FIXTURES = frozenset({"seeded_template", "project", "moto", "bucket"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    unmarked = [
        item.nodeid
        for item in items
        if INTEGRATION_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        and item.get_closest_marker("integration") is None
    ]
    if unmarked:
        raise pytest.UsageError("not marked integration, yet they run dbt or moto: " + ", ".join(unmarked))


@pytest.fixture(autouse=True)
def _unit_tests_start_no_process(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("integration") is not None:
        return

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError(f"{request.node.nodeid} starts a process: mark it integration")

    monkeypatch.setattr(subprocess, "Popen", refuse)


@dataclass
class RunResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def log_events(self, event: str) -> list[dict[str, Any]]:
        events = []
        for line in self.stdout.splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if record.get("event") == event:
                    events.append(record)
        return events


@dataclass
class Project:
    """A private copy of the sample project with its own DuckDB file and artifacts folder."""

    root: Path
    duckdb_path: Path
    artifacts_dir: Path

    @property
    def artifacts_uri(self) -> str:
        return self.artifacts_dir.as_uri()

    def write(self, relative: str, text: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def remove(self, relative: str) -> None:
        (self.root / relative).unlink()

    def env(self, run_id: str, spec: dict[str, Any] | None = None, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DBT_", "AWS_", "RUN_", "ARTIFACTS_", "CREDENTIALS_"))
            and key not in ("ENV", "PR_NUMBER", "STATE_URI")
        }
        env.update(
            RUN_ID=run_id,
            RUN_SPEC=json.dumps(spec or {}),
            ARTIFACTS_URI=self.artifacts_uri,
            DBT_PROJECT_DIR=str(self.root),
            DBT_PROFILES_DIR=str(self.root),
            DBT_DUCKDB_PATH=str(self.duckdb_path),
        )
        env.update(extra)
        return env

    def run(self, run_id: str, spec: dict[str, Any] | None = None, **extra: str) -> RunResult:
        completed = subprocess.run(
            [PYTHON, str(ENTRYPOINT)],
            env=self.env(run_id, spec, **extra),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        return RunResult(completed.returncode, completed.stdout, completed.stderr)

    def run_dir(self, run_id: str, attempt: int = 1) -> Path:
        """The folder of one attempt of a run (a run started by hand is attempt 1)."""
        return self.artifacts_dir / "runs" / run_id / f"attempt-{attempt}"

    def artifact(self, run_id: str, name: str, attempt: int = 1) -> dict[str, Any]:
        return json.loads((self.run_dir(run_id, attempt) / name).read_text())

    def summary(self, run_id: str, attempt: int = 1) -> dict[str, Any]:
        return self.artifact(run_id, "summary.json", attempt)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        import duckdb  # noqa: PLC0415

        with duckdb.connect(str(self.duckdb_path)) as connection:
            return connection.execute(sql).fetchall()


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The sample project after its raw data has landed (the EL tool's part), parsed once, so
    each test starts from a realistic warehouse without paying for the seed again."""
    base = tmp_path_factory.mktemp("template")
    project = Project(base / "project", base / "warehouse.duckdb", base / "artifacts")
    shutil.copytree(SAMPLE_PROJECT, project.root, ignore=COPY_IGNORE)
    result = project.run("template-seed", {"command": "seed", "freshness": "skip", "docs": False})
    assert result.exit_code == 0, result.output
    return project


@pytest.fixture
def project(seeded_template: Project, tmp_path: Path) -> Project:
    copy = Project(tmp_path / "project", tmp_path / "warehouse.duckdb", tmp_path / "artifacts")
    shutil.copytree(seeded_template.root, copy.root, ignore=shutil.ignore_patterns("logs"))
    shutil.copy(seeded_template.duckdb_path, copy.duckdb_path)
    return copy


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def unreachable_aws_env() -> dict[str, str]:
    """AWS as a task with no route to it meets it: an endpoint on 127.0.0.1 where nothing
    listens, so every connection is refused at once (botocore's EndpointConnectionError)."""
    return {**FAKE_AWS, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{_free_port()}"}


@dataclass
class Moto:
    endpoint: str

    def env(self) -> dict[str, str]:
        return {**FAKE_AWS, "AWS_ENDPOINT_URL": self.endpoint}

    def client(self, service: str) -> Any:
        import boto3  # noqa: PLC0415

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=FAKE_AWS["AWS_DEFAULT_REGION"],
            aws_access_key_id=FAKE_AWS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_AWS["AWS_SECRET_ACCESS_KEY"],
        )


@pytest.fixture(scope="session")
def moto() -> Iterator[Moto]:
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(PYTHON).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()  # noqa: S310 - http only
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError("the moto server did not start") from None
            time.sleep(0.2)
    try:
        yield Moto(endpoint)
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def bucket(moto: Moto, request: pytest.FixtureRequest) -> str:
    name = "artifacts-" + "".join(c for c in request.node.name.lower() if c.isalnum())[:40]
    moto.client("s3").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": FAKE_AWS["AWS_DEFAULT_REGION"]}
    )
    return name


def list_s3(moto: Moto, bucket_name: str, prefix: str = "") -> dict[str, bytes]:
    s3 = moto.client("s3")
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket_name, Prefix=prefix):
        for item in page.get("Contents", []):
            found[item["Key"]] = s3.get_object(Bucket=bucket_name, Key=item["Key"])["Body"].read()
    return found
