"""Sources whose tables the run's own seeds create. A project that stands its raw data in with
seeds (the sample in dbt/ does) has, on an empty warehouse, sources with no table yet: checking
their freshness before the build that seeds them can only print one error per source. Those
sources are left out of the check, with one line saying why (dbt_steps.py).

Pure: no dbt, no I/O. dbt_steps.py reads the manifest and asks the warehouse which tables exist.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from .run_spec import RunSpec

# (database, schema, identifier) as the manifest renders them, compared without case: the
# warehouses that fold names fold them the same way for a seed and a source.
Relation = tuple[str, str, str]

SEEDING_COMMANDS = frozenset({"build", "seed"})


def relation_key(database: Any, schema: Any, identifier: Any) -> Relation:
    return (str(database or "").lower(), str(schema or "").lower(), str(identifier or "").lower())


def run_seeds_everything(spec: RunSpec) -> bool:
    """Whether the run's command loads every seed of the project. A selection might leave a
    seed out, and then its source's missing table is a problem to report, not a first run."""
    return (
        spec.command in SEEDING_COMMANDS
        and not spec.select
        and not spec.exclude
        and not spec.selector
        and spec.retry_of is None
    )


def sources_seeds_create(sources: Mapping[str, Relation], seeds: Mapping[str, Relation]) -> dict[str, str]:
    """source unique id → the seed whose table it is, for the sources that are a seed's table."""
    seed_of = {relation: unique_id for unique_id, relation in seeds.items()}
    return {unique_id: seed_of[relation] for unique_id, relation in sources.items() if relation in seed_of}


def missing_tables_jinja(sources: Mapping[str, tuple[str, str]]) -> str:
    """Jinja for `dbt compile --inline` that renders, one a line, the unique ids of the sources
    (unique id → (source name, table name)) whose table does not exist. dbt's own load_relation
    asks the warehouse, through the adapter, as any introspective query of a model would."""
    lines = []
    for unique_id, (source_name, table_name) in sorted(sources.items()):
        call = f"source({json.dumps(source_name)}, {json.dumps(table_name)})"
        lines.append(f"{{% if load_relation({call}) is none %}}{json.dumps(unique_id)}\n{{% endif %}}")
    return "".join(lines)


def missing_from_rendered(rendered: str | None, asked: Iterable[str]) -> list[str]:
    """The sources the rendered Jinja names, among those asked about, sorted."""
    named = {json.loads(line) for line in (rendered or "").splitlines() if line.startswith('"')}
    return sorted(unique_id for unique_id in asked if unique_id in named)


def exclude_args(unique_ids: Iterable[str]) -> list[str]:
    """`--exclude source:<package>.<source>.<table> ...` for dbt source freshness."""
    words = [f"source:{unique_id.split('.', 1)[1]}" for unique_id in sorted(unique_ids)]
    return ["--exclude", *words] if words else []


def not_created_yet_reason(sources: Mapping[str, str]) -> str:
    """The one line that replaces dbt's one error per source."""
    names = ", ".join(sorted(sources))
    tables = "its table does not" if len(sources) == 1 else "their tables do not"
    seeds = "seed creates it" if len(sources) == 1 else "seeds create them"
    return f"not checked: {names}: {tables} exist yet, and this run's {seeds}"
