"""The platform file: models, loading with file:line errors, JSON schema export.

Names are imported on first use (PEP 562), so importing one module of the package does not load
the others: the CLI starts without loading what its command does not need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helmdeck.lazy import lazy_getattr

if TYPE_CHECKING:
    from helmdeck.spec.loader import PlatformFileError, load_platform, parse_platform
    from helmdeck.spec.models import (
        ALPHABETS,
        ChartRef,
        Component,
        ComponentEnvironment,
        Environment,
        Generate,
        SecretDecl,
        parse_duration,
    )
    from helmdeck.spec.platform import Platform
    from helmdeck.spec.schema import json_schema
    from helmdeck.spec.yaml_document import YamlDocument, display_path, parse_yaml, read_yaml_file

#: the platform file commands read when no -f is given
DEFAULT_FILE = "platform.yaml"

_EXPORTS: dict[str, tuple[str, str]] = {
    "PlatformFileError": ("helmdeck.spec.loader", "PlatformFileError"),
    "load_platform": ("helmdeck.spec.loader", "load_platform"),
    "parse_platform": ("helmdeck.spec.loader", "parse_platform"),
    "ALPHABETS": ("helmdeck.spec.models", "ALPHABETS"),
    "ChartRef": ("helmdeck.spec.models", "ChartRef"),
    "Component": ("helmdeck.spec.models", "Component"),
    "ComponentEnvironment": ("helmdeck.spec.models", "ComponentEnvironment"),
    "Environment": ("helmdeck.spec.models", "Environment"),
    "Generate": ("helmdeck.spec.models", "Generate"),
    "SecretDecl": ("helmdeck.spec.models", "SecretDecl"),
    "parse_duration": ("helmdeck.spec.models", "parse_duration"),
    "Platform": ("helmdeck.spec.platform", "Platform"),
    "json_schema": ("helmdeck.spec.schema", "json_schema"),
    "YamlDocument": ("helmdeck.spec.yaml_document", "YamlDocument"),
    "display_path": ("helmdeck.spec.yaml_document", "display_path"),
    "parse_yaml": ("helmdeck.spec.yaml_document", "parse_yaml"),
    "read_yaml_file": ("helmdeck.spec.yaml_document", "read_yaml_file"),
}

__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())


__all__ = [
    "ALPHABETS",
    "DEFAULT_FILE",
    "ChartRef",
    "Component",
    "ComponentEnvironment",
    "Environment",
    "Generate",
    "Platform",
    "PlatformFileError",
    "SecretDecl",
    "YamlDocument",
    "display_path",
    "json_schema",
    "load_platform",
    "parse_duration",
    "parse_platform",
    "parse_yaml",
    "read_yaml_file",
]
