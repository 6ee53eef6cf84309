"""The variables the run's profile target reads with env_var() and no default that are not set.

dbt names such a variable itself ("Env var required but not provided: 'DBT_…'"), except in a
`password` field: there it renders the missing value as None and says only "None is not of
type 'string'", which names neither the field nor the variable. When dbt refuses a profile,
the runner looks for them here so that the run's error names the variable (outcome.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

ENV_VAR_CALL = re.compile(r"""env_var\(\s*(['"])(?P<name>[^'"]+)\1\s*(?P<default>,)?""")
# A profile's `target:` as profiles usually write it: `{{ env_var('DBT_TARGET', 'local') }}`.
TARGET_FROM_ENV = re.compile(
    r"""\s*\{\{\s*env_var\(\s*(['"])(?P<name>[^'"]+)\1\s*(?:,\s*(['"])(?P<default>[^'"]*)\3\s*)?\)\s*\}\}\s*"""
)


def target_name(profile: Mapping[str, Any], chosen: str | None, environ: Mapping[str, str]) -> str | None:
    """The target dbt uses: the one chosen (DBT_TARGET), else the profile's own default; None
    when that default is Jinja this cannot evaluate."""
    if chosen:
        return chosen
    default = profile.get("target")
    if not isinstance(default, str):
        return None
    if "{{" not in default:
        return default.strip()
    match = TARGET_FROM_ENV.fullmatch(default)
    if match is None:
        return None
    return environ.get(match["name"], match["default"])


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def missing_env_vars(
    profiles: Any, profile_name: str, chosen_target: str | None, environ: Mapping[str, str]
) -> list[str]:
    """The unset variables that the profile's selected target reads without a default, in the
    order they appear; [] when the profile or target cannot be found."""
    profile = profiles.get(profile_name) if isinstance(profiles, Mapping) else None
    if not isinstance(profile, Mapping):
        return []
    name = target_name(profile, chosen_target, environ)
    outputs = profile.get("outputs")
    if name is None or not isinstance(outputs, Mapping):
        return []
    missing: list[str] = []
    for text in _texts(outputs.get(name)):
        for call in ENV_VAR_CALL.finditer(text):
            variable = call["name"]
            if call["default"] is None and variable not in environ and variable not in missing:
                missing.append(variable)
    return missing


def missing_profile_env_vars(
    project_dir: Path, profiles_dir: Path, chosen_target: str | None, environ: Mapping[str, str]
) -> list[str]:
    """missing_env_vars() for the project's profile in profiles_dir/profiles.yml; [] when either
    file cannot be read (dbt has said what is wrong with them then)."""
    import yaml  # noqa: PLC0415 - only a run whose profile dbt refused pays for it

    try:
        project = yaml.safe_load((project_dir / "dbt_project.yml").read_text())
        profiles = yaml.safe_load((profiles_dir / "profiles.yml").read_text())
    except (OSError, yaml.YAMLError):
        return []
    profile_name = project.get("profile") if isinstance(project, Mapping) else None
    if not isinstance(profile_name, str):
        return []
    return missing_env_vars(profiles, profile_name, chosen_target, environ)
