"""A run's dbt.log, an artifact, holds the whole run on real dbt with DuckDB through the
entrypoint, however long the run: dbt would roll it over at 10 MB, which a large project's
debug log passes (bench/README.md, "At scale")."""

from __future__ import annotations

import pytest
from conftest import Project

pytestmark = pytest.mark.integration


def test_the_stored_dbt_log_keeps_the_runs_start_past_dbts_rollover_size(project: Project) -> None:
    # A limit this small stands in for a large project's run passing dbt's 10 MB default: a dbt
    # that rolled over would keep only the last few KB in dbt.log.
    result = project.run("long-log", {"docs": False, "freshness": "skip"}, DBT_LOG_FILE_MAX_BYTES="4096")

    assert result.exit_code == 0, result.output
    run_dir = project.run_dir("long-log")
    dbt_log = (run_dir / "dbt.log").read_text()
    assert len(dbt_log) > 4096 * 4
    # The parse step's first line and the build's last, in the one file.
    assert dbt_log.index("Running with dbt=") < dbt_log.index("Command `cli parse` succeeded")
    assert "Command `cli build` succeeded" in dbt_log
    assert sorted(path.name for path in run_dir.iterdir() if path.name.startswith("dbt.log")) == ["dbt.log"]
