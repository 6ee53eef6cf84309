"""Where a run's artifacts go: `s3://bucket/prefix` in AWS (boto3, which honours
AWS_ENDPOINT_URL) or `file:///path` on a host. Both stores share one small interface so the
pipeline never cares which one it has."""

from __future__ import annotations

import mimetypes
import shutil
import tempfile
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

from . import aws


class ArtifactsError(Exception):
    """An artifact could not be read or written. Reading one from S3 that cannot be reached
    for now is aws.AwsUnreachable instead: only a read can be tried again by another attempt,
    a write comes after dbt has run."""


class ArtifactStore(Protocol):
    uri: str

    def put(self, key: str, body: bytes) -> None: ...

    def get(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is no such object."""

    def replace_prefix(self, prefix: str, files: dict[str, bytes]) -> None:
        """Make `prefix/` hold exactly `files` (name → bytes)."""

    def list_names(self, prefix: str) -> list[str]:
        """The names of the objects right under `prefix/`, sorted; empty when there are none."""

    def url(self, key: str) -> str: ...


def _content_type(key: str) -> str:
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


class FileStore:
    def __init__(self, uri: str, root: Path) -> None:
        self.uri = uri
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*key.split("/"))

    def put(self, key: str, body: bytes) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written beside the target and renamed, so a reader never sees half a file.
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
                handle.write(body)
            Path(handle.name).chmod(0o644)  # NamedTemporaryFile makes 0600; artifacts are shared
            Path(handle.name).replace(path)
        except OSError as error:
            raise ArtifactsError(f"cannot write {self.url(key)}: {error.strerror or error}") from None

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise ArtifactsError(f"cannot read {self.url(key)}: {error.strerror or error}") from None

    def list_names(self, prefix: str) -> list[str]:
        folder = self._path(prefix)
        try:
            return sorted(path.name for path in folder.iterdir() if path.is_file())
        except FileNotFoundError:
            return []
        except OSError as error:
            raise ArtifactsError(f"cannot list {self.url(prefix)}/: {error.strerror or error}") from None

    def replace_prefix(self, prefix: str, files: dict[str, bytes]) -> None:
        final = self._path(prefix)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=final.parent))
            staging.chmod(0o755)
            for name, body in files.items():
                (staging / name).write_bytes(body)
            previous = final.with_name(f".{final.name}-previous")
            shutil.rmtree(previous, ignore_errors=True)
            if final.exists():
                final.rename(previous)
            staging.rename(final)
            shutil.rmtree(previous, ignore_errors=True)
        except OSError as error:
            raise ArtifactsError(f"cannot write {self.url(prefix)}/: {error.strerror or error}") from None

    def url(self, key: str) -> str:
        return f"{self.uri.rstrip('/')}/{key}"


class S3Store:
    def __init__(self, uri: str, bucket: str, prefix: str, client: Any = None) -> None:
        self.uri = uri
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            # file:// runs never pay for boto3's import.
            self._client = aws.client("s3")
        return self._client

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _fail(self, action: str, key: str, error: Exception) -> ArtifactsError:
        response = getattr(error, "response", None)
        code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
        return ArtifactsError(f"cannot {action} {self.url(key)}: {code or type(error).__name__}")

    def put(self, key: str, body: bytes) -> None:
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self._key(key), Body=body, ContentType=_content_type(key)
            )
        except Exception as error:
            raise self._fail("write", key, error) from None

    def get(self, key: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except Exception as error:
            response = getattr(error, "response", None)
            if isinstance(response, dict) and response.get("Error", {}).get("Code") in (
                "NoSuchKey",
                "404",
            ):
                return None
            unreachable = aws.unreachable("s3", f"read {self.url(key)}", error)
            if unreachable is not None:
                raise unreachable from None
            raise self._fail("read", key, error) from None

    def list_names(self, prefix: str) -> list[str]:
        folder = self._key(prefix) + "/"
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=folder, Delimiter="/"
            )
            return sorted(item["Key"][len(folder) :] for page in pages for item in page.get("Contents", []))
        except Exception as error:
            unreachable = aws.unreachable("s3", f"list {self.url(prefix)}/", error)
            if unreachable is not None:
                raise unreachable from None
            raise self._fail("list", prefix, error) from None

    def replace_prefix(self, prefix: str, files: dict[str, bytes]) -> None:
        # New objects first, stale ones after: a reader never finds the prefix empty.
        for name, body in files.items():
            self.put(f"{prefix}/{name}", body)
        try:
            listing = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self._key(prefix) + "/"
            )
            keep = {self._key(f"{prefix}/{name}") for name in files}
            stale = [
                {"Key": item["Key"]}
                for page in listing
                for item in page.get("Contents", [])
                if item["Key"] not in keep
            ]
            for start in range(0, len(stale), 1000):
                self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": stale[start : start + 1000]}
                )
        except Exception as error:
            raise self._fail("clean", prefix, error) from None

    def url(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"


def open_store(uri: str) -> ArtifactStore:
    parsed = urlparse(uri)
    if parsed.scheme == "file" and parsed.netloc in ("", "localhost") and parsed.path:
        return FileStore(uri, Path(unquote(parsed.path)))
    if parsed.scheme == "s3" and parsed.netloc:
        return S3Store(uri, parsed.netloc, parsed.path)
    raise ValueError(f"ARTIFACTS_URI: expected s3://bucket/prefix or file:///path, got {uri[:120]!r}")
