"""The component (and release) name of an extension install: the extension's name when it installs
once per platform, ``NAME-<instance name>`` (or a random suffix) when it is multi-install; checked
against the platform's components and installs, DNS label rules and Helm's length limit."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping

from helmdeck.engine.releases import Release, ReleaseStatus
from helmdeck.errors import ConfigError
from helmdeck.extensions.catalog import Extension
from helmdeck.spec import Platform

MAX_RELEASE_NAME = 53
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def component_name(platform: Platform, ext: Extension, instance_name: str | None, live: Mapping[str, Release]) -> str:
    """The component name of a new install of ``ext``; ConfigError when the install is refused."""
    taken = {n for n, r in live.items() if r.status is not ReleaseStatus.UNINSTALLED}
    if not ext.multi_install:
        if instance_name:
            raise ConfigError(
                f"extension {ext.name} is installed once per platform: it takes no instance name",
                fix="leave out --instance-name",
            )
        name = ext.name
        if name in platform.component_names:
            raise ConfigError(
                f"extension {ext.name} has the name of a component of the platform file",
                fix="rename the extension chart or the component",
            )
        if name in taken:
            rel = live[name]
            raise ConfigError(
                f"extension {ext.name} is already installed (release {rel.namespace}/{rel.name}, "
                f"revision {rel.revision}, {rel.status.value}) and is not multi-install",
                fix=f"uninstall it first ('helmdeck ext uninstall {ext.name}'), or use it as it is",
            )
        return name
    if instance_name:
        if not _DNS_LABEL.match(instance_name):
            raise ConfigError(
                f"instance name {instance_name!r} is not a DNS label",
                fix="use lowercase letters, digits and '-', starting and ending with a letter or digit",
            )
        name = f"{ext.name}-{instance_name}"
        if len(name) > MAX_RELEASE_NAME:
            raise ConfigError(
                f"release name {name} is longer than {MAX_RELEASE_NAME} characters",
                fix=f"use an instance name of at most {MAX_RELEASE_NAME - len(ext.name) - 1} characters",
            )
        if name in taken or name in platform.component_names:
            raise ConfigError(
                f"extension {ext.name} already has an install named {instance_name} ({name})",
                fix="choose another --instance-name",
            )
        return name
    while True:
        name = f"{ext.name[: MAX_RELEASE_NAME - 7]}-{secrets.token_hex(3)}"
        if name not in taken:
            return name
