"""The project's dbt packages at run time. The image installs them when it is built (`dbt deps`
against package-lock.yml), so a run skips `dbt deps`, and needs no network for it, whenever
the installed packages are those the lock pins; a host run where nobody has run deps yet
still gets them. When deps does run and the network is not there, the failure names the
packages it could not fetch, in one sentence, instead of dbt's traceback.

"Installed as the lock pins" is what dbt itself records, checked in three ways:
- package-lock.yml's sha1_hash is the hash dbt computes of the packages.yml it was written
  for: if packages.yml changed since, deps would resolve (and write) a new lock;
- every package the lock lists, dependencies of packages included, is installed under its
  name in the install folder (dbt_packages/), with its dbt_project.yml; a local package's
  link points where the lock says;
- the install folder is no older than the lock: dbt deps recreates the folder after it has
  read or written the lock, so a lock replaced later (a pull that bumps a version) shows up
  as newer. dbt records no version inside an installed package, so this is how a changed
  pin is noticed.
"""

from __future__ import annotations

import importlib
import os
import re
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .outcome import EXIT_DBT_ERROR, Failure, StepReport

LOCK_FILE = "package-lock.yml"
DEFAULT_INSTALL_PATH = "dbt_packages"
# How deps fails when it cannot connect: the resolver's, urllib3's and git's own words.
NO_NETWORK_SIGNS = re.compile(
    r"Failed to resolve|Name or service not known|Temporary failure in name resolution"
    r"|Could not resolve host|nodename nor servname|Network is unreachable|No route to host"
    r"|Connection refused|Connection timed out|NewConnectionError|ConnectTimeout",
    re.IGNORECASE,
)
CONNECT_ERRORS = (socket.gaierror, ConnectionError, TimeoutError)
URL_KEYS = ("git", "tarball", "private")
UNREACHABLE_HOST = re.compile(
    r"Failed to resolve '([^']+)'|Could not resolve host: ([^\s'\"]+)|host='([^']+)'"
)


@dataclass(frozen=True)
class PackagesCheck:
    needed: bool
    """Whether `dbt deps` must run."""
    reason: str
    downloads: tuple[str, ...] = ()
    """The packages deps would fetch over the network (hub, git, tarball, private), for the
    error when it cannot."""
    seconds: float = 0.0


class _DepsNeeded(Exception):
    def __init__(self, reason: str, downloads: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.downloads = downloads


def check_packages(project_dir: Path, cli_vars: Mapping[str, Any]) -> PackagesCheck:
    # Imported before the clock starts: the first dbt step pays for importing dbt either way.
    for module in ("dbt.config.project", "dbt.config.renderer", "dbt.task.deps"):
        importlib.import_module(module)

    started = time.monotonic()
    try:
        check = PackagesCheck(False, _skip_reason(project_dir, cli_vars))
    except _DepsNeeded as needed:
        check = PackagesCheck(True, needed.reason, needed.downloads)
    except OSError as error:
        # An unreadable folder: dbt deps runs, and fails in its own words if it must.
        check = PackagesCheck(True, f"the installed packages could not be checked ({type(error).__name__})")
    return PackagesCheck(check.needed, check.reason, check.downloads, time.monotonic() - started)


def _skip_reason(project_dir: Path, cli_vars: Mapping[str, Any]) -> str:
    """Why deps can be skipped; raises _DepsNeeded saying why not."""
    try:
        specs, specified_in = _package_specs(project_dir, cli_vars)
    except Exception as error:
        # dbt deps then says what is wrong, in its own words.
        raise _DepsNeeded(f"the packages could not be read here ({type(error).__name__})") from None
    if not specs:
        return "the project lists no packages"
    lock_path = project_dir / LOCK_FILE
    locked = _locked_packages(lock_path, specs, specified_in)
    downloads = _downloads(locked)
    install_dir = project_dir / _install_path(project_dir, cli_vars)
    if not install_dir.is_dir():
        raise _DepsNeeded(f"the packages are not installed: no {install_dir.name}/", downloads)
    for entry in locked:
        missing = _not_installed(entry, install_dir, project_dir)
        if missing:
            raise _DepsNeeded(missing, downloads)
    if install_dir.stat().st_mtime_ns < lock_path.stat().st_mtime_ns:
        raise _DepsNeeded(f"{LOCK_FILE} changed after {install_dir.name}/ was installed", downloads)
    return f"the packages in {install_dir.name}/ match {LOCK_FILE}"


def _locked_packages(lock_path: Path, specs: list[Any], specified_in: str) -> list[dict[str, Any]]:
    """The lock's packages, if the lock is the one dbt wrote for these specs."""
    from dbt.config.project import load_yml_dict  # noqa: PLC0415 - dbt's import is most of start-up

    if not lock_path.is_file():
        raise _DepsNeeded(f"no {LOCK_FILE}: dbt deps resolves the packages", _downloads(specs))
    try:
        lock = load_yml_dict(str(lock_path))
    except Exception as error:
        raise _DepsNeeded(
            f"{LOCK_FILE} could not be read ({type(error).__name__})", _downloads(specs)
        ) from None
    if lock.get("sha1_hash") != _specs_hash(specs):
        raise _DepsNeeded(f"{specified_in} changed since {LOCK_FILE} was written", _downloads(specs))
    return [entry for entry in lock.get("packages") or [] if isinstance(entry, dict)]


def _package_specs(project_dir: Path, cli_vars: Mapping[str, Any]) -> tuple[list[Any], str]:
    """The packages as `dbt deps` reads them: packages.yml rendered (env_var, var), or
    dependencies.yml as it is."""
    from dbt.config.project import (  # noqa: PLC0415
        package_and_project_data_from_root,
        package_config_from_data,
    )
    from dbt.config.renderer import PackageRenderer  # noqa: PLC0415
    from dbt.constants import DEPENDENCIES_FILE_NAME  # noqa: PLC0415
    from dbt_common.context import set_invocation_context  # noqa: PLC0415

    # env_var() reads the environment through dbt's invocation context, which each dbt
    # command sets for itself; no command has run yet.
    set_invocation_context(os.environ)
    raw, specified_in = package_and_project_data_from_root(str(project_dir))
    rendered = (
        raw if specified_in == DEPENDENCIES_FILE_NAME else PackageRenderer(dict(cli_vars)).render_data(raw)
    )
    return list(package_config_from_data(rendered, raw).packages), specified_in


def _specs_hash(specs: list[Any]) -> str:
    # dbt's own function, so that the hash is the one dbt wrote into the lock; dbt-core is
    # pinned, and test_packages.py checks it against a lock that dbt deps wrote.
    from dbt.task.deps import _create_sha1_hash  # noqa: PLC0415

    return str(_create_sha1_hash(specs))


def _install_path(project_dir: Path, cli_vars: Mapping[str, Any]) -> str:
    from dbt.config.project import load_raw_project  # noqa: PLC0415
    from dbt.config.renderer import PackageRenderer  # noqa: PLC0415

    value = load_raw_project(str(project_dir)).get("packages-install-path") or DEFAULT_INSTALL_PATH
    return str(PackageRenderer(dict(cli_vars)).render_value(value) if "{{" in str(value) else value)


def _not_installed(entry: dict[str, Any], install_dir: Path, project_dir: Path) -> str | None:
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        return f"{LOCK_FILE} does not name its packages (a dbt before 1.7 wrote it)"
    installed = install_dir / name
    if not (installed / "dbt_project.yml").is_file():
        return f"package {_describe(entry)} is not installed in {install_dir.name}/"
    local = entry.get("local")
    linked_elsewhere = (
        isinstance(local, str)
        and installed.is_symlink()
        and installed.resolve() != (project_dir / local).resolve()
    )
    if linked_elsewhere:
        return f"{install_dir.name}/{name} links to {installed.resolve()}, not to {local}"
    return None


def _downloads(entries: list[Any]) -> tuple[str, ...]:
    return tuple(name for name in (_download_name(entry) for entry in entries) if name)


def _download_name(entry: Any) -> str | None:
    """How a package that deps fetches over the network is named in messages; None for a
    local one. URLs lose any credentials."""
    fields = entry if isinstance(entry, dict) else _spec_fields(entry)
    if "package" in fields:
        version = fields.get("version")
        pinned = isinstance(version, (str, int, float))
        return f"{fields['package']}@{version}" if pinned else str(fields["package"])
    for key in URL_KEYS:
        if key in fields:
            return re.sub(r"://[^/@]+@", "://", str(fields[key]))
    return None


def _spec_fields(spec: Any) -> dict[str, Any]:
    """A packages.yml entry as rendered, but its URL as written: env_var() may put a token in it."""
    unrendered = spec.unrendered or {}
    return {**spec.to_dict(), **{key: unrendered[key] for key in URL_KEYS if key in unrendered}}


def _describe(entry: dict[str, Any]) -> str:
    return _download_name(entry) or f"{entry.get('name')} (local: {entry.get('local')})"


def deps_failure(step: StepReport, check: PackagesCheck) -> Failure | None:
    """deps could not connect: the packages it could not fetch and where they should have come
    from, in one sentence. None for any other outcome, which the general rules word."""
    if step.success or step.exception is None:
        return None
    cause = no_network_cause(step.exception)
    if cause is None:
        return None
    if not check.downloads:
        what, them = "the project's packages", "them"
    else:
        plural = "s" if len(check.downloads) > 1 else ""
        what, them = f"package{plural} {', '.join(check.downloads)}", "them" if plural else "it"
    return Failure(
        EXIT_DBT_ERROR,
        f"deps: could not download {what} ({cause}); the image should have installed {them} at "
        f"build time (dbt deps against {LOCK_FILE}), or, on a host, run dbt deps once with network",
    )


def no_network_cause(exception: BaseException) -> str | None:
    """'no network: <host> unreachable' when the exception, or one it was raised from, is a
    failure to connect; None otherwise."""
    seen: set[int] = set()
    current: BaseException | None = exception
    connect_failed = False
    host = None
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = str(current)
        if isinstance(current, CONNECT_ERRORS) or NO_NETWORK_SIGNS.search(text):
            connect_failed = True
        found = UNREACHABLE_HOST.search(text)
        if host is None and found:
            host = next(group for group in found.groups() if group)
        current = current.__cause__ or current.__context__
    if not connect_failed:
        return None
    return f"no network: {host} unreachable" if host else "no network"
