"""Whether a run must call `dbt deps`: the packages installed as package-lock.yml pins them or
not, read from real project files (the fixture project's lock was written by dbt deps), and
the one sentence a deps that could not connect ends with. No process: the install is the
link dbt deps makes for a local package, made here by hand (test_packages_offline.py runs the
real thing)."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest
from conftest import REPO
from dbt_runner import packages
from dbt_runner.outcome import EXIT_DBT_ERROR, StepReport
from dbt_runner.packages import PackagesCheck, check_packages, deps_failure, no_network_cause

FIXTURES = REPO / "tests" / "fixtures" / "projects"
HUB_PACKAGE = "  - package: dbt-labs/dbt_utils\n    version: 1.3.0\n"


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """The fixture project beside its local package, as the tests and a build context lay them out."""
    for name in ("packaged_shop", "shop_helpers"):
        shutil.copytree(FIXTURES / name, tmp_path / name)
    return tmp_path / "packaged_shop"


def install(shop: Path, into: str = "dbt_packages") -> Path:
    """What dbt deps leaves for a local package: the folder, recreated, and a link to the package."""
    packages = shop / into
    packages.mkdir()
    (packages / "shop_helpers").symlink_to((shop / "../shop_helpers").resolve())
    return packages


def test_a_project_without_packages_yml_skips_deps(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: bare\nprofile: bare\n")

    check = check_packages(tmp_path, {})

    assert not check.needed
    assert check.reason == "the project lists no packages"


def test_the_sample_project_lists_no_packages_and_skips_deps() -> None:
    check = check_packages(REPO / "dbt", {})

    assert (check.needed, check.reason) == (False, "the project lists no packages")


def test_packages_installed_as_the_lock_written_by_dbt_pins_them_skip_deps(shop: Path) -> None:
    install(shop)

    check = check_packages(shop, {})

    assert not check.needed, check.reason
    assert check.reason == "the packages in dbt_packages/ match package-lock.yml"
    assert check.seconds > 0


def test_packages_not_installed_need_deps_naming_the_package(shop: Path) -> None:
    check = check_packages(shop, {})

    assert check.needed
    assert check.reason == "the packages are not installed: no dbt_packages/"

    (shop / "dbt_packages").mkdir()
    check = check_packages(shop, {})

    assert check.needed
    assert check.reason == "package shop_helpers (local: ../shop_helpers) is not installed in dbt_packages/"
    # A local package is no download: the error for a deps without network would not name it.
    assert check.downloads == ()


def test_a_packages_yml_changed_since_the_lock_needs_deps_and_names_what_it_downloads(shop: Path) -> None:
    install(shop)
    with (shop / "packages.yml").open("a") as packages_yml:
        packages_yml.write(HUB_PACKAGE)

    check = check_packages(shop, {})

    assert check.needed
    assert check.reason == "packages.yml changed since package-lock.yml was written"
    assert check.downloads == ("dbt-labs/dbt_utils@1.3.0",)


def test_no_lock_needs_deps(shop: Path) -> None:
    install(shop)
    (shop / "package-lock.yml").unlink()

    check = check_packages(shop, {})

    assert (check.needed, check.reason) == (True, "no package-lock.yml: dbt deps resolves the packages")


def test_a_lock_replaced_after_the_install_needs_deps(shop: Path) -> None:
    packages = install(shop)
    lock = shop / "package-lock.yml"
    installed_at = packages.stat().st_mtime_ns
    os.utime(lock, ns=(installed_at + 1_000_000_000, installed_at + 1_000_000_000))

    check = check_packages(shop, {})

    assert (check.needed, check.reason) == (
        True,
        "package-lock.yml changed after dbt_packages/ was installed",
    )

    # Written in the same instant as the install (a build that clamps timestamps) is not newer.
    os.utime(lock, ns=(installed_at, installed_at))
    assert not check_packages(shop, {}).needed


def test_a_local_package_linked_elsewhere_needs_deps(shop: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "old_checkout" / "shop_helpers"
    shutil.copytree(FIXTURES / "shop_helpers", elsewhere)
    (shop / "dbt_packages").mkdir()
    (shop / "dbt_packages" / "shop_helpers").symlink_to(elsewhere)

    check = check_packages(shop, {})

    assert check.needed
    assert check.reason == f"dbt_packages/shop_helpers links to {elsewhere}, not to ../shop_helpers"


def test_the_install_folder_is_the_projects_packages_install_path(shop: Path) -> None:
    project_yml = shop / "dbt_project.yml"
    project_yml.write_text(project_yml.read_text() + "packages-install-path: vendor/packages\n")
    (shop / "vendor").mkdir()
    install(shop, into="vendor/packages")

    check = check_packages(shop, {})

    assert (check.needed, check.reason) == (False, "the packages in packages/ match package-lock.yml")


def test_packages_in_dependencies_yml_are_read_like_packages_yml(shop: Path) -> None:
    (shop / "packages.yml").rename(shop / "dependencies.yml")

    check = check_packages(shop, {})

    # The same specs give the same hash as the lock's: only the install is missing.
    assert check.reason == "the packages are not installed: no dbt_packages/"


def test_packages_yml_is_rendered_with_the_runs_vars_as_dbt_deps_renders_it(shop: Path) -> None:
    install(shop)
    (shop / "packages.yml").write_text(
        "packages:\n  - package: dbt-labs/dbt_utils\n    version: \"{{ var('utils_version', '1.1.0') }}\"\n"
    )

    check = check_packages(shop, {"utils_version": "1.3.0"})

    assert check.downloads == ("dbt-labs/dbt_utils@1.3.0",)


def test_a_packages_yml_dbt_cannot_read_leaves_the_reason_to_dbt_deps(shop: Path) -> None:
    (shop / "packages.yml").write_text("packages:\n  - nonsense: true\n")

    check = check_packages(shop, {})

    assert check.needed
    assert check.reason.startswith("the packages could not be read here (")


def test_a_git_url_is_named_without_its_credentials(shop: Path) -> None:
    (shop / "packages.yml").write_text(
        "packages:\n  - git: https://ci-bot:not-a-real-token@git.example.com/analytics/helpers.git\n"
        "    revision: v1\n"
    )

    check = check_packages(shop, {})

    assert check.downloads == ("https://git.example.com/analytics/helpers.git",)


def test_an_install_that_cannot_be_read_needs_deps_rather_than_failing_the_run(
    shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(shop)

    def unreadable(*_args: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(packages, "_not_installed", unreadable)

    check = check_packages(shop, {})

    assert (check.needed, check.reason) == (
        True,
        "the installed packages could not be checked (PermissionError)",
    )


def network_failure() -> BaseException:
    """dbt's own chain when the hub cannot be resolved: its ConnectionError, raised while
    handling requests' (here built as Python chains them)."""
    from dbt_common.exceptions.connection import ConnectionError as DbtConnectionError  # noqa: PLC0415

    resolver = socket.gaierror(-3, "Temporary failure in name resolution")
    request = OSError(
        "HTTPSConnectionPool(host='hub.getdbt.com', port=443): Max retries exceeded with url: "
        "/api/v1/index.json (Caused by NameResolutionError(\"Failed to resolve 'hub.getdbt.com'\"))"
    )
    request.__cause__ = resolver
    failure = DbtConnectionError(f"External connection exception occurred: {request}")
    failure.__context__ = request
    return failure


def test_deps_that_could_not_connect_fails_in_one_sentence_naming_the_package_and_the_build() -> None:
    check = PackagesCheck(True, "no dbt_packages/", ("dbt-labs/dbt_utils@1.3.0",))

    failure = deps_failure(StepReport("deps", False, network_failure()), check)

    assert failure is not None
    assert failure.exit_code == EXIT_DBT_ERROR
    assert failure.error == (
        "deps: could not download package dbt-labs/dbt_utils@1.3.0 (no network: hub.getdbt.com "
        "unreachable); the image should have installed it at build time (dbt deps against "
        "package-lock.yml), or, on a host, run dbt deps once with network"
    )
    assert "\n" not in failure.error


def test_deps_without_network_names_every_package_it_needed() -> None:
    check = PackagesCheck(True, "no dbt_packages/", ("dbt-labs/dbt_utils@1.3.0", "calogica/dbt_date@0.10.1"))

    failure = deps_failure(StepReport("deps", False, network_failure()), check)

    assert failure is not None
    assert "could not download packages dbt-labs/dbt_utils@1.3.0, calogica/dbt_date@0.10.1 (" in failure.error
    assert "should have installed them at build time" in failure.error

    unnamed = deps_failure(StepReport("deps", False, network_failure()), PackagesCheck(True, "?"))
    assert unnamed is not None
    assert unnamed.error.startswith("deps: could not download the project's packages (no network")


def test_deps_failing_for_another_reason_is_left_to_the_general_rules() -> None:
    check = PackagesCheck(True, "no dbt_packages/", ("dbt-labs/dbt_utils@1.3.0",))
    version_conflict = RuntimeError(
        "Version error for package dbt-labs/dbt_utils: Could not find a satisfactory version"
    )

    assert deps_failure(StepReport("deps", False, version_conflict), check) is None
    assert deps_failure(StepReport("deps", True), check) is None
    assert deps_failure(StepReport("deps", False), check) is None


def test_a_git_clone_without_network_is_a_network_failure_naming_the_host() -> None:
    clone = RuntimeError(
        "Git error: fatal: unable to access 'https://github.com/dbt-labs/dbt-utils.git/': "
        "Could not resolve host: github.com"
    )

    assert no_network_cause(clone) == "no network: github.com unreachable"
    assert no_network_cause(ConnectionRefusedError(111, "Connection refused")) == "no network"
    assert no_network_cause(ValueError("not a network problem")) is None
