"""Platform files for the tests on the fakes: the header every one repeats, written once."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write_platform_file(directory: Path, name: str, spec: str) -> Path:
    """``directory/platform.yaml``: a Platform called ``name`` whose ``spec`` is the YAML given
    (indented as it stands in the test). The text starts with a blank line, as the tests'
    dedented triple-quoted files did, so line numbers in the loader's messages stay the same."""
    path = directory / "platform.yaml"
    body = textwrap.indent(textwrap.dedent(spec).strip("\n"), "  ")
    path.write_text(f"\napiVersion: helmdeck.dev/v1\nkind: Platform\nmetadata: {{name: {name}}}\nspec:\n{body}\n")
    return path
