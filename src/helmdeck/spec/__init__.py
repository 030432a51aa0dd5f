"""The platform file: models, loading with file:line errors, JSON schema export."""

from helmdeck.spec.loader import DEFAULT_FILE, PlatformFileError, load_platform, parse_platform
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
