"""serverless-dbt's container entrypoint: runs one dbt run as the container contract in
docs/design.md describes. The same file runs in the image and on a host
(`.venv/bin/python container/entrypoint.py`); everything it needs comes from the
environment, so there are no arguments."""

import os
import sys
import threading

# dbt's anonymous usage tracking would try the network on every invocation; a run in a
# private subnet (or here) would wait on it.
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

# Line by line even into a pipe (awslogs, the local CLI), so a stopped task's last lines are
# not lost in a buffer.
sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
sys.stderr.reconfigure(line_buffering=True)  # type: ignore[union-attr]

from dbt_runner.pipeline import run  # noqa: E402 - the environment above must be set first


def lingering_threads() -> list[threading.Thread]:
    return [
        thread
        for thread in threading.enumerate()
        if thread.is_alive() and not thread.daemon and thread is not threading.main_thread()
    ]


if __name__ == "__main__":
    exit_code = run(os.environ)
    # The outcome is stored and logged. A run that was stopped may leave one of dbt's threads
    # in a query the warehouse cannot cancel (DuckDB's), and a normal exit would wait for it
    # for good. Only then: a normal exit lets the warehouse's client close its files.
    if lingering_threads():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(exit_code)
    sys.exit(exit_code)
