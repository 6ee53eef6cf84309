"""One run, from the environment to an exit code: the settings, then the run input and the
credentials, then the dbt steps (dbt_steps.py), under the lifecycle that stores the
artifacts whatever happens (lifecycle.py). Which exit code for which outcome is outcome.py's.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from .artifacts import ArtifactStore, open_store
from .config import ConfigError, RunnerConfig, check_project, check_state_uri, read_config, read_run_spec
from .credentials import resolve_credentials
from .dbt_steps import DbtSteps
from .lifecycle import DEFAULT_STOP_GRACE_SECONDS, Run
from .outcome import EXIT_CONFIG, RUN_ERRORS, RunState, run_error_failure
from .redaction import RedactingStream, Redactor, secret_env_values
from .run_log import log_line
from .summary import Step


@contextmanager
def redacted_output(redactor: Redactor) -> Iterator[TextIO]:
    original_out, original_err = sys.stdout, sys.stderr
    sys.stdout = RedactingStream(original_out, redactor)  # type: ignore[assignment]
    sys.stderr = RedactingStream(original_err, redactor)  # type: ignore[assignment]
    try:
        yield sys.stdout
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = original_out, original_err


def run(environ: Mapping[str, str]) -> int:
    redactor = Redactor(secret_env_values(environ))
    with redacted_output(redactor) as out:
        try:
            config = read_config(environ)
            store = open_store(config.artifacts_uri)
        except (ConfigError, ValueError) as error:
            # Without a run id and a store there is nowhere to put a summary: the log says it.
            log_line(out, "run", status="error", exitCode=EXIT_CONFIG, error=str(error))
            return EXIT_CONFIG
        with tempfile.TemporaryDirectory(prefix="serverless-dbt-") as work_dir:
            work = Path(work_dir)
            stop_grace_seconds = float(environ.get("STOP_GRACE_SECONDS") or DEFAULT_STOP_GRACE_SECONDS)
            lifecycle = Run(config, store, redactor, out, work, stop_grace_seconds)
            return lifecycle.execute(
                lambda state: run_steps(config, store, redactor, out, work, state, lifecycle.arm_deadline)
            )


def run_steps(
    config: RunnerConfig,
    store: ArtifactStore,
    redactor: Redactor,
    out: TextIO,
    work: Path,
    state: RunState,
    arm_deadline: Callable[[int | None], None],
) -> None:
    """`arm_deadline` gets the run's limit once the spec that holds it is read."""
    try:
        state.spec = read_run_spec(config.raw_spec)
        log_line(out, "run", status="started", runId=config.run_id, spec=state.spec.to_json_dict())
        arm_deadline(state.spec.timeout_seconds)
        check_project(config)
        check_state_uri(config, state.spec)
        credentials_started = time.monotonic()
        try:
            credentials = resolve_credentials(config.credentials_source)
        finally:
            failed = sys.exc_info()[0] is not None
            state.steps.append(
                Step("credentials", "error" if failed else "success", time.monotonic() - credentials_started)
            )
        redactor.add(credentials.secrets)
        os.environ.update(credentials.env)
        # Relative paths in profiles.yml (the DuckDB file) resolve against the project, as
        # they do when dbt is run by hand from it.
        os.chdir(config.project_dir)
        DbtSteps(config, state.spec, state, out, work).run(store)
    except RUN_ERRORS as error:
        state.fail(run_error_failure(error))
