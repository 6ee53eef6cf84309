"""dbt's deprecation summary is held back during a run's steps and shown once at its end."""

from __future__ import annotations

import pytest
from dbt.cli import requires
from dbt_runner.dbt_steps import deprecation_summary_once


def test_each_steps_summary_is_held_back_and_the_runs_shown_once_even_when_a_step_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown: list[str] = []

    def dbt_summary() -> None:
        shown.append("summary")

    monkeypatch.setattr(requires, "show_deprecations_summary", dbt_summary)

    def steps() -> None:
        with deprecation_summary_once():
            # What dbt's postflight calls after each invocation.
            requires.show_deprecations_summary()
            requires.show_deprecations_summary()
            raise RuntimeError("a step failed")

    with pytest.raises(RuntimeError):
        steps()

    assert shown == ["summary"]
    assert requires.show_deprecations_summary is dbt_summary
