"""The two artifact stores behave alike: put, get (None when missing) and replacing a
prefix whole, on a folder and on S3 (a moto server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Moto, list_s3
from dbt_runner.artifacts import ArtifactsError, FileStore, S3Store, open_store


@pytest.fixture(params=["file", pytest.param("s3", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "file":
        return open_store((tmp_path / "store").as_uri())
    moto: Moto = request.getfixturevalue("moto")
    bucket: str = request.getfixturevalue("bucket")
    return S3Store(f"s3://{bucket}/pre/fix", bucket, "/pre/fix", client=moto.client("s3"))


def test_put_then_get_returns_the_same_bytes(store) -> None:
    store.put("runs/r1/summary.json", b'{"exitCode": 0}')

    assert store.get("runs/r1/summary.json") == b'{"exitCode": 0}'


def test_get_of_a_missing_object_is_none(store) -> None:
    assert store.get("runs/none/run_results.json") is None


def test_replace_prefix_leaves_exactly_the_new_files(store) -> None:
    store.replace_prefix("latest", {"index.html": b"old", "stale.json": b"{}"})

    store.replace_prefix("latest", {"index.html": b"new", "catalog.json": b"{}"})

    assert store.get("latest/index.html") == b"new"
    assert store.get("latest/catalog.json") == b"{}"
    assert store.get("latest/stale.json") is None


@pytest.mark.integration
def test_s3_keys_sit_under_the_uri_prefix(moto: Moto, bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in moto.env().items():
        monkeypatch.setenv(name, value)  # boto3 finds the endpoint the way the container does
    store = open_store(f"s3://{bucket}/team/dbt")

    store.put("runs/r1/dbt.log", b"log")

    assert list(list_s3(moto, bucket)) == ["team/dbt/runs/r1/dbt.log"]
    assert store.url("runs/r1/dbt.log") == f"s3://{bucket}/team/dbt/runs/r1/dbt.log"


def test_file_store_write_below_a_file_raises_artifacts_error(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("")
    store = FileStore("file:///x", tmp_path / "plain" / "below")

    with pytest.raises(ArtifactsError, match="cannot write"):
        store.put("runs/r/summary.json", b"{}")


@pytest.mark.parametrize("uri", ["http://example.com/x", "s3://", "file://host/x", "bucket/prefix", ""])
def test_unsupported_uri_names_the_setting(uri: str) -> None:
    with pytest.raises(ValueError, match=r"^ARTIFACTS_URI: "):
        open_store(uri)
