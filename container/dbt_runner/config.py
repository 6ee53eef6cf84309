"""The container contract's environment (docs/design.md, "The container contract"), read and
checked once at start-up. A missing or malformed setting is exit 3, named."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

from .run_spec import RUN_ID_PATTERN, InvalidRunInput, RunSpec, parse_run_spec
from .slow_models import DEFAULT_RUNS_COMPARED, MAX_RUNS_COMPARED, MIN_EXTRA_SECONDS

# The image lays out /app/container/entrypoint.py beside /app/dbt, as the repository does, so
# one relative default serves both a host and the container.
DEFAULT_PROJECT_DIR = Path(__file__).resolve().parent.parent.parent / "dbt"


class ConfigError(Exception):
    """Exit 3: the run is misconfigured. The message starts with the setting's name."""


@dataclass(frozen=True)
class RunnerConfig:
    run_id: str
    artifacts_uri: str
    project_dir: Path
    profiles_dir: Path
    target: str | None
    credentials_source: str
    raw_spec: str
    # Which attempt of the run this task is (the state machine's RUN_ATTEMPT): each attempt
    # stores its artifacts in a folder of its own.
    attempt: int = 1
    # When RunDbt's timer started for this attempt (RUN_ATTEMPT_STARTED_AT); None for a task
    # started without the state machine, whose deadline counts from the container's start.
    attempt_started_at: datetime | None = None
    # How many of the job's last successful runs a model's time is compared with
    # (SLOW_MODELS_RUNS); 0 turns the slow-model check off.
    slow_models_runs: int = DEFAULT_RUNS_COMPARED
    # How much longer than usual a model must take to be flagged (SLOW_MODELS_MIN_EXTRA_SECONDS).
    slow_models_min_extra_seconds: float = MIN_EXTRA_SECONDS
    # The folder of the state a state-aware run compares with and defers to (STATE_URI), in
    # place of its job's last success: a pull request's build against live's latest state.
    # As given; check_state_uri checks it once the run has a place for its summary.
    state_uri: str | None = None


def read_config(environ: Mapping[str, str]) -> RunnerConfig:
    run_id = environ.get("RUN_ID", "")
    if not run_id:
        raise ConfigError("RUN_ID: not set; it names the run and the folder its artifacts go to")
    if not RUN_ID_PATTERN.fullmatch(run_id):
        raise ConfigError("RUN_ID: must be 1 to 80 letters, digits, '_' or '-'")
    artifacts_uri = environ.get("ARTIFACTS_URI", "")
    if not re.match(r"(s3://[^/]+|file:///)", artifacts_uri):
        raise ConfigError(
            "ARTIFACTS_URI: "
            + ("not set" if not artifacts_uri else "expected s3://bucket/prefix or file:///path")
        )
    project_dir = Path(environ.get("DBT_PROJECT_DIR") or DEFAULT_PROJECT_DIR).resolve()
    profiles_dir = Path(environ.get("DBT_PROFILES_DIR") or project_dir).resolve()
    return RunnerConfig(
        run_id=run_id,
        artifacts_uri=artifacts_uri,
        project_dir=project_dir,
        profiles_dir=profiles_dir,
        target=environ.get("DBT_TARGET") or None,
        credentials_source=environ.get("CREDENTIALS_SOURCE") or "env",
        raw_spec=environ.get("RUN_SPEC") or "{}",
        attempt=read_attempt(environ.get("RUN_ATTEMPT")),
        attempt_started_at=read_attempt_started_at(environ.get("RUN_ATTEMPT_STARTED_AT")),
        slow_models_runs=read_slow_models_runs(environ.get("SLOW_MODELS_RUNS")),
        slow_models_min_extra_seconds=read_min_extra_seconds(environ.get("SLOW_MODELS_MIN_EXTRA_SECONDS")),
        state_uri=(environ.get("STATE_URI") or "").strip() or None,
    )


def state_folder(raw: str) -> str:
    """STATE_URI as the folder it names, `s3://bucket/prefix/` or `file:///path/`, with one
    trailing slash."""
    uri = raw.strip()
    parsed = urlparse(uri)
    folder = parsed.path.rstrip("/")
    if parsed.scheme == "s3":
        valid = bool(parsed.netloc) and not parsed.query and not parsed.fragment
    else:
        valid = parsed.scheme == "file" and parsed.netloc in ("", "localhost") and folder != ""
    if not valid:
        raise ConfigError(
            "STATE_URI: expected the folder of a manifest.json as s3://bucket/prefix/ or "
            f"file:///path/, got {uri[:120]!r}"
        )
    if folder.endswith(".json"):
        raise ConfigError(
            f"STATE_URI: names a file ({uri[:120]!r}); give the folder that holds manifest.json"
        )
    return uri.rstrip("/") + "/"


def check_state_uri(config: RunnerConfig, spec: RunSpec) -> None:
    """STATE_URI names a folder, and replaces what a state-aware run compares with: on any other
    run it would be silently ignored, and the build would not be the pull request's slim one it
    was meant to be."""
    if config.state_uri is None:
        return
    state_folder(config.state_uri)
    if spec.only != "changed":
        raise ConfigError(
            "STATE_URI: only a state-aware run (`only: changed`) compares with a state; "
            "this run input has no `only: changed`"
        )


def read_slow_models_runs(raw: str | None) -> int:
    """SLOW_MODELS_RUNS, DEFAULT_RUNS_COMPARED when unset."""
    if raw is None or raw.strip() == "":
        return DEFAULT_RUNS_COMPARED
    if not re.fullmatch(r"[0-9]{1,3}", raw.strip()) or int(raw.strip()) > MAX_RUNS_COMPARED:
        raise ConfigError(
            f"SLOW_MODELS_RUNS: must be a whole number from 0 (no check) to {MAX_RUNS_COMPARED}, "
            f"got {raw[:40]!r}"
        )
    return int(raw.strip())


def read_attempt(raw: str | None) -> int:
    """RUN_ATTEMPT, 1 when unset: a local run or a task started by hand is a first attempt."""
    if raw is None or raw == "":
        return 1
    if not re.fullmatch(r"[1-9][0-9]{0,5}", raw.strip()):
        raise ConfigError(f"RUN_ATTEMPT: must be a whole number from 1 up, got {raw[:40]!r}")
    return int(raw.strip())


def read_attempt_started_at(raw: str | None) -> datetime | None:
    """RUN_ATTEMPT_STARTED_AT as Step Functions writes `$$.State.EnteredTime`
    (2026-03-02T05:00:00.123Z); None when unset."""
    if raw is None or raw.strip() == "":
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise ConfigError(
            f"RUN_ATTEMPT_STARTED_AT: expected an ISO-8601 time with its zone, such as "
            f"2026-03-02T05:00:00.123Z, got {raw[:40]!r}"
        )
    return value.astimezone(UTC)


def check_project(config: RunnerConfig) -> None:
    """The project and its profile are where the settings say. Checked once the run has a
    place for its summary (RUN_ID, ARTIFACTS_URI), so that this refusal is stored too."""
    if not (config.project_dir / "dbt_project.yml").is_file():
        raise ConfigError(f"DBT_PROJECT_DIR: no dbt_project.yml in {config.project_dir}")
    if not (config.profiles_dir / "profiles.yml").is_file():
        raise ConfigError(f"DBT_PROFILES_DIR: no profiles.yml in {config.profiles_dir}")


def read_run_spec(raw: str) -> RunSpec:
    try:
        value = json.loads(raw)
        return parse_run_spec(value)
    except json.JSONDecodeError as error:
        raise InvalidRunInput("input", f"RUN_SPEC is not JSON ({error.msg})") from None
    except RecursionError:
        raise InvalidRunInput("input", "RUN_SPEC is nested too deeply") from None


def read_min_extra_seconds(raw: str | None) -> float:
    """SLOW_MODELS_MIN_EXTRA_SECONDS, MIN_EXTRA_SECONDS when unset."""
    if raw is None or raw.strip() == "":
        return MIN_EXTRA_SECONDS
    if not re.fullmatch(r"[0-9]{1,6}(\.[0-9]{1,3})?", raw.strip()):
        raise ConfigError(
            f"SLOW_MODELS_MIN_EXTRA_SECONDS: must be a number of seconds, 0 or more, got {raw[:40]!r}"
        )
    return float(raw.strip())
