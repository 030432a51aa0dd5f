"""The platform file: models, loading with file:line errors, JSON schema export.

Names are imported on first use (PEP 562), so importing one module of the package does not load
the others: the CLI starts without loading what its command does not need.
Its names are listed once, as the imports under ``TYPE_CHECKING`` (see :mod:`helmdeck.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helmdeck.lazy import lazy_getattr, listed_in

if TYPE_CHECKING:
    from helmdeck.spec.loader import PlatformFileError as PlatformFileError
    from helmdeck.spec.loader import load_platform as load_platform
    from helmdeck.spec.loader import parse_platform as parse_platform
    from helmdeck.spec.models import ALPHABETS as ALPHABETS
    from helmdeck.spec.models import ChartRef as ChartRef
    from helmdeck.spec.models import Component as Component
    from helmdeck.spec.models import ComponentEnvironment as ComponentEnvironment
    from helmdeck.spec.models import Environment as Environment
    from helmdeck.spec.models import Generate as Generate
    from helmdeck.spec.models import SecretDecl as SecretDecl
    from helmdeck.spec.models import parse_duration as parse_duration
    from helmdeck.spec.platform import Platform as Platform
    from helmdeck.spec.schema import json_schema as json_schema
    from helmdeck.spec.yaml_document import YamlDocument as YamlDocument
    from helmdeck.spec.yaml_document import display_path as display_path
    from helmdeck.spec.yaml_document import parse_yaml as parse_yaml
    from helmdeck.spec.yaml_document import read_yaml_file as read_yaml_file

#: the platform file commands read when no -f is given
DEFAULT_FILE = "platform.yaml"

__getattr__ = lazy_getattr(__name__, listed_in(__file__), globals())
