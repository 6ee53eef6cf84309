"""A project with a package runs with no network at all: its packages installed once, as the
image build does (`dbt deps` against the fixture's package-lock.yml), then the entrypoint in
a network namespace of its own (`unshare --net`: no interface up, no route out). And when the
packages are not installed and one must come from the hub, the run fails in one sentence
naming it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ENTRYPOINT, PYTHON, REPO, Project, RunResult

pytestmark = pytest.mark.integration

FIXTURES = REPO / "tests" / "fixtures" / "projects"
DBT = Path(PYTHON).parent / "dbt"
BUILD = {"command": "build", "freshness": "skip", "docs": False}
NO_ROUTE_PROBE = (
    "import socket\n"
    "try:\n"
    "    socket.create_connection(('192.0.2.1', 443), timeout=2)\n"
    "except OSError as error:\n"
    "    raise SystemExit(f'no route: {error}')\n"
)


def offline_prefix() -> list[str]:
    """The command that runs a process with no network, proven so before any test uses it."""
    for prefix in (["unshare", "--net"], ["unshare", "--user", "--map-root-user", "--net"]):
        if shutil.which(prefix[0]) is None:
            break
        probe = subprocess.run(
            [*prefix, PYTHON, "-c", NO_ROUTE_PROBE], capture_output=True, text=True, check=False
        )
        if probe.returncode == 1 and "no route" in probe.stderr:
            return prefix
    pytest.skip("no way to run without network here: unshare --net is not permitted")


@pytest.fixture(scope="module")
def offline() -> list[str]:
    return offline_prefix()


@pytest.fixture
def shop(tmp_path: Path) -> Project:
    """The fixture project beside its local package, with its own DuckDB file and artifacts."""
    for name in ("packaged_shop", "shop_helpers"):
        shutil.copytree(FIXTURES / name, tmp_path / name)
    return Project(tmp_path / "packaged_shop", tmp_path / "warehouse.duckdb", tmp_path / "artifacts")


def install_packages(project: Project) -> None:
    """What the image build does: dbt deps in the project, against its package-lock.yml."""
    root = str(project.root)
    completed = subprocess.run(
        [str(DBT), "deps", "--project-dir", root, "--profiles-dir", root, "--no-send-anonymous-usage-stats"],
        env=project.env("build-deps"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def run_offline(offline: list[str], project: Project, run_id: str) -> RunResult:
    completed = subprocess.run(
        [*offline, PYTHON, str(ENTRYPOINT)],
        env=project.env(run_id, BUILD),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return RunResult(completed.returncode, completed.stdout, completed.stderr)


def deps_line(result: RunResult) -> dict[str, object]:
    [line] = [step for step in result.log_events("step") if step["step"] == "deps"]
    return line


def test_installed_packages_let_a_run_build_with_no_network_without_calling_deps(
    offline: list[str], shop: Project
) -> None:
    install_packages(shop)
    installed = (shop.root / "dbt_packages").stat()

    result = run_offline(offline, shop, "offline-run")

    assert result.exit_code == 0, result.output
    assert deps_line(result)["status"] == "skipped"
    assert deps_line(result)["reason"] == "the packages in dbt_packages/ match package-lock.yml"
    steps = {step["name"]: step["status"] for step in shop.summary("offline-run")["steps"]}
    assert steps["deps"] == "skipped"
    assert steps["build"] == "success"
    # dbt deps recreates dbt_packages/: the same folder is still there, untouched.
    after = (shop.root / "dbt_packages").stat()
    assert (after.st_ino, after.st_mtime_ns) == (installed.st_ino, installed.st_mtime_ns)
    # The amounts come from the package's macro, the currency names from the package's model.
    assert shop.query("select payment_id, currency_name, amount from main.payments order by 1") == [
        (1, "Euro", 12.5),
        (2, "US dollar", 9.99),
        (3, "Euro", 1.0),
    ]


def test_a_local_package_not_yet_installed_is_installed_by_the_run_even_offline(
    offline: list[str], shop: Project
) -> None:
    result = run_offline(offline, shop, "host-run")

    assert result.exit_code == 0, result.output
    assert deps_line(result)["status"] == "success"
    assert deps_line(result)["reason"] == "the packages are not installed: no dbt_packages/"
    assert (shop.root / "dbt_packages" / "shop_helpers" / "dbt_project.yml").is_file()


def test_a_hub_package_not_installed_fails_an_offline_run_in_one_sentence_naming_it(
    offline: list[str], shop: Project
) -> None:
    from dbt.task.deps import _create_sha1_hash  # noqa: PLC0415 - dbt's own lock hash
    from dbt_runner.packages import _package_specs  # noqa: PLC0415

    # The lock a team commits for a project with a hub package; the image was built without
    # running deps, so nothing is installed.
    shop.write(
        "packages.yml",
        "packages:\n  - local: ../shop_helpers\n  - package: dbt-labs/dbt_utils\n    version: 1.3.0\n",
    )
    specs, _ = _package_specs(shop.root, {})
    shop.write(
        "package-lock.yml",
        "packages:\n  - local: ../shop_helpers\n    name: shop_helpers\n"
        "  - package: dbt-labs/dbt_utils\n    version: 1.3.0\n    name: dbt_utils\n"
        f"sha1_hash: {_create_sha1_hash(specs)}\n",
    )

    result = run_offline(offline, shop, "offline-hub")

    assert result.exit_code == 2, result.output
    error = (
        "deps: could not download package dbt-labs/dbt_utils@1.3.0 (no network: hub.getdbt.com "
        "unreachable); the image should have installed it at build time (dbt deps against "
        "package-lock.yml), or, on a host, run dbt deps once with network"
    )
    assert shop.summary("offline-hub")["error"] == error
    assert result.log_events("run")[-1]["error"] == error
    assert deps_line(result)["status"] == "error"
    assert deps_line(result)["reason"] == "the packages are not installed: no dbt_packages/"
    assert [step["name"] for step in shop.summary("offline-hub")["steps"]] == ["credentials", "deps"]
    # dbt's retries and tracebacks stay in dbt.log, out of the task's log.
    assert "Traceback" not in result.output
    assert "Traceback" in (shop.run_dir("offline-hub") / "dbt.log").read_text()
    assert len(result.output.splitlines()) < 10, result.output
