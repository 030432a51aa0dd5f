"""Parameter values as a user hands them to the CLI: ``--param NAME=VALUE``, a parameter file (for
values that must not appear in argv) and ``HELMDECK_PARAM_<NAME>`` variables. Text only; typing and
checking them is :mod:`helmdeck.extensions.parameter_values`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from helmdeck.errors import ConfigError
from helmdeck.extensions.parameters import Parameter
from helmdeck.spec.user_files import check_yaml_limits, read_user_text


def parse_param_args(args: Iterable[str]) -> dict[str, str]:
    """``["task=Task003_Liver", "fast=true"]`` -> a dict; a ConfigError for items without ``=``."""
    out: dict[str, str] = {}
    for arg in args:
        key, sep, value = arg.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"--param {arg!r} is not NAME=VALUE",
                fix="write each parameter as --param NAME=VALUE, e.g. --param profile=scipy",
            )
        out[key.strip()] = value
    return out


ENV_PREFIX = "HELMDECK_PARAM_"


def env_name(parameter: str) -> str:
    """``HELMDECK_PARAM_DB_PASSWORD`` for ``db-password`` (or ``dbPassword``: ``HELMDECK_PARAM_DBPASSWORD``)."""
    return ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", parameter).upper()


def load_param_file(path: Path) -> dict[str, Any]:
    """A YAML or JSON mapping of parameter values, for values that must not appear in argv."""
    shown = str(path)
    try:
        text = read_user_text(path, shown, "parameter file", max_bytes=1024 * 1024)
    except FileNotFoundError:
        raise ConfigError(f"parameter file not found: {shown}", where=shown, fix="fix the path") from None
    except IsADirectoryError:
        raise ConfigError(f"{shown} is a directory", where=shown, fix="name a YAML file of NAME: VALUE") from None
    check_yaml_limits(text, shown)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{shown}:{mark.line + 1}" if mark is not None else shown
        raise ConfigError(f"{shown} is not valid YAML", where=where, fix="write NAME: VALUE lines") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{shown} is not a mapping of parameters", where=shown, fix="write NAME: VALUE lines")
    return {str(k): v for k, v in data.items()}


def params_from_env(parameters: Sequence[Parameter], environ: Mapping[str, str]) -> dict[str, str]:
    """Values of the extension's parameters given as ``HELMDECK_PARAM_<NAME>`` variables."""
    return {p.name: environ[env_name(p.name)] for p in parameters if env_name(p.name) in environ}
