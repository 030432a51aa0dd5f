"""Secrets that come from outside: an environment variable or a file."""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping

from helmdeck.errors import ConfigError
from helmdeck.spec.models import SecretDecl
from helmdeck.spec.platform import Platform
from helmdeck.spec.yaml_document import display_path


def describe_source(decl: SecretDecl) -> str:
    """``generate``, ``env:VARIABLE`` or ``file:path`` (for listings)."""
    if decl.from_env is not None:
        return f"env:{decl.from_env}"
    if decl.from_file is not None:
        return f"file:{display_path(decl.from_file)}"
    return "generate"


def read_external(name: str, decl: SecretDecl, environ: Mapping[str, str] | None = None) -> str | None:
    """The value from the variable or file, or None when it is not set / does not exist.

    A file's single trailing newline (as ``echo`` writes it) is dropped. An empty value is
    an error: it is never what anyone meant.
    """
    env = os.environ if environ is None else environ
    if decl.from_env is not None:
        value = env.get(decl.from_env)
        if value == "":
            raise ConfigError(
                f"secret '{name}': environment variable {decl.from_env} is empty",
                where=f"env:{decl.from_env}",
                fix=f"set {decl.from_env} to the secret's value",
            )
        return value
    if decl.from_file is not None:
        shown = display_path(decl.from_file)
        try:
            value = decl.from_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            reason = "it is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else exc.strerror
            raise ConfigError(
                f"secret '{name}': cannot read {shown}: {reason}", where=shown, fix="check the file"
            ) from None
        value = value.removesuffix("\n").removesuffix("\r")
        if not value:
            raise ConfigError(f"secret '{name}': {shown} is empty", where=shown, fix="write the secret into it")
        return value
    return None


def missing_external(name: str, decl: SecretDecl) -> ConfigError:
    """The error for an external secret that is neither set now nor stored from before."""
    if decl.from_env is not None:
        return ConfigError(
            f"secret '{name}' is read from the environment variable {decl.from_env}, which is not set "
            "(and no value was stored before)",
            where=f"env:{decl.from_env}",
            fix=f"export {decl.from_env}=... before running helmdeck (it is stored for later runs)",
        )
    assert decl.from_file is not None
    shown = display_path(decl.from_file)
    return ConfigError(
        f"secret '{name}' is read from {shown}, which does not exist (and no value was stored before)",
        where=shown,
        fix=f"create {shown} holding the secret (it is stored for later runs)",
    )


def unavailable_external(
    platform: Platform, stored: Collection[str] | None, environ: Mapping[str, str] | None = None
) -> list[tuple[str, ConfigError]]:
    """Each external secret a deploy could not resolve, with the error naming its file (or variable)
    and the platform file's key: its source gives no value now and none is ``stored`` (None: the
    store could not be asked, so only the source counts). An unreadable or empty file is an error
    even when a value is stored, as the deploy reads the file whenever it exists."""
    out: list[tuple[str, ConfigError]] = []
    for name, decl in platform.spec.secrets.items():
        if decl.generate is not None:
            continue
        key = ("spec", "secrets", name, "fromFile" if decl.from_file is not None else "fromEnv")
        try:
            value = read_external(name, decl, environ)
        except ConfigError as exc:
            out.append((name, ConfigError(exc.message, where=platform.where(key), fix=exc.fix)))
            continue
        if value is not None or (stored is not None and name in stored):
            continue
        missing = missing_external(name, decl)
        source = f"file {display_path(decl.from_file)}" if decl.from_file else f"variable {decl.from_env}"
        message = f"secret '{name}' ({'.'.join(map(str, key))}) is read from the {source}, which " + (
            "does not exist" if decl.from_file else "is not set"
        )
        if stored is not None:
            message += ", and no value was stored by an earlier deploy"
        out.append((name, ConfigError(message, where=platform.where(key), fix=missing.fix)))
    return out
