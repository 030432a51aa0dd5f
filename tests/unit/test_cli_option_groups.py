"""Option groups (helmdeck.cli.options.grouped): a command takes options shared with others as one
object, and Typer shows them as if they were written out in the command, in their place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from helmdeck.cli.options import Cluster, OptionGroup, Where, grouped


def _app(command: object) -> typer.Typer:
    app = typer.Typer()
    app.command("probe")(command)

    @app.callback()
    def root() -> None:
        return None

    return app


def test_a_group_stands_in_its_place_and_arrives_as_one_object() -> None:
    seen: list[object] = []

    @grouped
    def probe(
        name: Annotated[str, typer.Argument()],
        *,
        where: Where,
        verbose: Annotated[bool, typer.Option("--loud")] = False,
        cluster: Cluster,
    ) -> None:
        seen.append((name, where, verbose, cluster))

    command = get_command(_app(probe)).commands["probe"]  # type: ignore[attr-defined]
    assert [p.name for p in command.params] == ["name", "file", "instance", "verbose", "kubeconfig", "context"]
    done = CliRunner().invoke(_app(probe), ["probe", "x", "--instance", "i", "--loud", "--context", "c"])
    assert done.exit_code == 0, done.output
    assert seen == [("x", Where(Path("platform.yaml"), "i"), True, Cluster(None, "c"))]


@dataclass(frozen=True)
class Other(OptionGroup):
    file: Annotated[Path, typer.Option("--other-file")] = Path("x")


def test_an_option_named_twice_is_refused_when_typer_builds_the_command() -> None:
    @grouped
    def probe(*, where: Where, other: Other) -> None:
        return None

    with pytest.raises(TypeError, match="options named twice: file"):
        get_command(_app(probe))
