"""serverless-dbt's container entrypoint: runs one dbt run as the container contract in
docs/design.md describes. The same file runs in the image and on a host
(`.venv/bin/python container/entrypoint.py`); everything it needs comes from the
environment, so there are no arguments."""

import os
import signal
import socket
import sys
import threading

# ECS's SIGTERM and the deadline's SIGALRM are sent to the process, and the kernel may hand them
# to any thread: one of dbt's or DuckDB's as well as the main one. Python runs the handler on the
# main thread only, and a signal taken by another thread does not wake a main thread that waits
# on a lock (dbt waits on its queue of nodes): the run went on until ECS's SIGKILL, and its
# artifacts were lost. (Blocking the signals in other threads does not hold: multiprocessing's
# resource tracker unblocks SIGTERM in whatever thread starts it.) So each signal Python handles
# is also written to a socket, and a thread reading it interrupts the main thread's wait with
# WAKE_SIGNAL, sent to that thread alone; Python then runs the run's handler there.
STOP_SIGNALS = frozenset({signal.SIGTERM, signal.SIGALRM})
WAKE_SIGNAL = signal.SIGUSR1


def wake_the_main_thread_on_stop_signals() -> None:
    received, sent = socket.socketpair()
    sent.setblocking(False)
    signal.set_wakeup_fd(sent.fileno(), warn_on_full_buffer=False)
    signal.signal(WAKE_SIGNAL, lambda _signum, _frame: None)
    main_thread = threading.get_ident()

    def wake() -> None:
        # Holds `sent` too: the wakeup fd must stay open for as long as the process runs.
        with received, sent:
            while data := received.recv(64):
                if any(number in STOP_SIGNALS for number in data):
                    signal.pthread_kill(main_thread, WAKE_SIGNAL)

    threading.Thread(target=wake, name="wake-on-stop-signals", daemon=True).start()


if __name__ == "__main__":
    wake_the_main_thread_on_stop_signals()

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
