"""A large dbt project for the benchmarks: the sample project (dbt/, DuckDB) with COUNT
generated models on top, each with not_null and unique tests on its key.

  .venv/bin/python bench/generate_project.py --models 2000 DESTINATION

Nine in ten generated models are staging views, one in ten a mart table, in a wide, layered
DAG like a real project's: the first 40 read the sample's staging models, each later one an
earlier generated model, so selection, ordering and parsing see real depth.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE_KEYS = {
    "stg_orders": "order_id",
    "stg_customers": "customer_id",
    "stg_order_items": "order_item_id",
    "stg_products": "product_id",
}
ROOTS = 40


def copy_sample_project(destination: Path) -> Path:
    shutil.copytree(
        REPO / "dbt",
        destination,
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", "*.duckdb*"),
    )
    return destination


def model_name(number: int) -> str:
    return f"gen_{number:04d}"


def parent_of(number: int) -> str:
    if number < ROOTS:
        return list(SAMPLE_KEYS)[number % len(SAMPLE_KEYS)]
    return model_name((number * 7) % (number - 1))


def generate_models(project: Path, count: int) -> None:
    """Writes `count` models and their tests under models/generated/ of `project`."""
    if count < 1:
        raise ValueError(f"--models must be at least 1, got {count}")
    folders = {
        "view": project / "models" / "generated" / "staging",
        "table": project / "models" / "generated" / "marts",
    }
    for folder in folders.values():
        folder.mkdir(parents=True)
    key_of = dict(SAMPLE_KEYS)
    properties: dict[str, list[str]] = {kind: ["version: 2", "models:"] for kind in folders}
    for number in range(count):
        name, parent = model_name(number), parent_of(number)
        key = key_of[parent]
        key_of[name] = key
        materialized = "table" if number % 10 == 0 else "view"
        (folders[materialized] / f"{name}.sql").write_text(
            f"{{{{ config(materialized='{materialized}') }}}}\n"
            f"select *, {number} as generation from {{{{ ref('{parent}') }}}}\n"
        )
        properties[materialized] += [
            f"  - name: {name}",
            f"    description: One row per {key.removesuffix('_id')} (generated model {number}).",
            "    columns:",
            f"      - name: {key}",
            "        data_tests: [not_null, unique]",
        ]
    for materialized, folder in folders.items():
        if len(properties[materialized]) > 2:
            (folder / "_generated.yml").write_text("\n".join(properties[materialized]) + "\n")


def generate_project(destination: Path, count: int) -> Path:
    copy_sample_project(destination)
    generate_models(destination, count)
    return destination


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("destination", type=Path, help="a folder that does not exist yet")
    parser.add_argument("--models", type=int, default=2000)
    args = parser.parse_args()
    if args.destination.exists():
        parser.error(f"destination {args.destination} exists: give a new folder")
    generate_project(args.destination, args.models)
    print(f"{args.destination}: the sample project and {args.models} generated models")


if __name__ == "__main__":
    main()
