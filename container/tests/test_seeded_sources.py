"""Which sources are the tables of the run's own seeds, and the words and arguments that leave
them out of the freshness check."""

from __future__ import annotations

import pytest
from dbt_runner.run_spec import parse_run_spec
from dbt_runner.seeded_sources import (
    exclude_args,
    missing_from_rendered,
    missing_tables_jinja,
    not_created_yet_reason,
    relation_key,
    run_seeds_everything,
    sources_seeds_create,
)


def test_a_source_is_a_seeds_table_when_database_schema_and_name_match_in_any_case() -> None:
    sources = {
        "source.shop.raw.orders": relation_key("WH", "main_sandbox", "raw_orders"),
        "source.shop.raw.events": relation_key("wh", "main_sandbox", "raw_events"),
        "source.shop.other.orders": relation_key("wh", "elsewhere", "raw_orders"),
    }
    seeds = {"seed.shop.raw_orders": relation_key("wh", "MAIN_SANDBOX", "raw_orders")}

    assert sources_seeds_create(sources, seeds) == {"source.shop.raw.orders": "seed.shop.raw_orders"}


@pytest.mark.parametrize(
    ("spec", "seeds_everything"),
    [
        ({}, True),
        ({"command": "seed"}, True),
        ({"command": "run"}, False),
        ({"command": "test"}, False),
        ({"select": "+orders"}, False),
        ({"exclude": "raw_orders"}, False),
    ],
)
def test_only_a_build_or_seed_of_the_whole_project_seeds_every_seed(
    spec: dict, seeds_everything: bool
) -> None:
    assert run_seeds_everything(parse_run_spec(spec)) is seeds_everything


def test_the_jinja_names_each_missing_source_on_a_line_of_its_own() -> None:
    jinja = missing_tables_jinja({"source.shop.raw.orders": ("raw", "orders")})

    assert jinja == (
        '{% if load_relation(source("raw", "orders")) is none %}"source.shop.raw.orders"\n{% endif %}'
    )


def test_only_sources_asked_about_are_read_back_from_the_rendered_text() -> None:
    rendered = '"source.shop.raw.orders"\n"source.shop.raw.products"\nnoise\n'

    missing = missing_from_rendered(rendered, ["source.shop.raw.products", "source.shop.raw.orders", "x"])

    assert missing == ["source.shop.raw.orders", "source.shop.raw.products"]
    assert missing_from_rendered(None, ["source.shop.raw.orders"]) == []


def test_the_sources_left_out_are_excluded_by_package_source_and_table() -> None:
    assert exclude_args(["source.shop.raw.orders"]) == ["--exclude", "source:shop.raw.orders"]
    assert exclude_args([]) == []


def test_the_one_line_names_every_source_left_out() -> None:
    assert not_created_yet_reason({"source.shop.raw.orders": "seed.shop.raw_orders"}) == (
        "not checked: source.shop.raw.orders: its table does not exist yet, and this run's seed creates it"
    )
    assert not_created_yet_reason({"source.b": "seed.b", "source.a": "seed.a"}) == (
        "not checked: source.a, source.b: their tables do not exist yet, and this run's seeds create them"
    )
