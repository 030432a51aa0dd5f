"""Every helmdeck command the documentation shows parses: the command exists and takes those options.

A command the docs teach that fails (a renamed flag, an option before its command) is the first thing
a new operator meets; this reads the README, docs/ and the examples' READMEs, code blocks and inline
code alike, and parses each command line as the CLI would, without running it.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.main import get_command

from helmdeck.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted(ROOT.glob("examples/*/README.md"))]
_SHELL_END = {"#", "|", ">", "2>", "&&", ";", "||"}
#: placeholders the docs write for numbers
_NUMBERS = {"N", "K", "REV", "REVISION"}


def _words(line: str) -> list[str] | None:
    """The arguments after ``helmdeck`` in a documented command line (usage syntax resolved: an
    optional ``[part]`` is taken, the first of ``a|b`` alternatives), or None when it is no command."""
    line = line.strip().removeprefix("$ ")
    match = re.match(r"(?:\S*/)?helmdeck\s+(.*)", line)
    if not match:
        return None
    text = match.group(1).replace("[", "").replace("]", "").replace("...", "")
    text = re.sub(r"\s#.*", "", text)  # a trailing comment
    try:
        words = shlex.split(text)
    except ValueError:
        return None
    out = []
    for word in words:
        if word in _SHELL_END or word.startswith(("$(", "<(")):
            break
        word = word.split("|")[0] if "|" in word and not word.startswith("-") else word
        out.append("1" if word in _NUMBERS else word)
    return out


def documented() -> list[tuple[str, list[str]]]:
    found = []
    for doc in DOCS:
        in_code = False
        for number, line in enumerate(doc.read_text().splitlines(), 1):
            if line.lstrip().startswith("```"):
                in_code = not in_code
                continue
            candidates = [line] if in_code else re.findall(r"`([^`]*helmdeck [^`]*)`", line)
            for text in candidates:
                words = _words(text)
                if words:
                    found.append((f"{doc.relative_to(ROOT)}:{number}", words))
    return found


def test_the_docs_show_commands() -> None:
    assert len(documented()) >= 20


def _parse(words: list[str]) -> None:
    """Parse ``helmdeck WORDS`` as Click does before running a command; raises on a usage error."""
    command = get_command(app)
    ctx = command.make_context("helmdeck", list(words), resilient_parsing=False)
    # walk down the groups the way Click does when it runs a command, parsing each level's options
    while hasattr(command, "resolve_command"):
        rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
        if not rest:
            break
        name, sub, rest = command.resolve_command(ctx, rest)
        assert sub is not None, f"no command {name!r}"
        ctx = sub.make_context(name, rest, parent=ctx)
        command = sub
    assert not ctx.args or command.allow_extra_args, f"unexpected arguments {ctx.args}"


@pytest.mark.parametrize(("where", "words"), documented(), ids=[w for w, _ in documented()])
def test_documented_command_parses(where: str, words: list[str]) -> None:
    if words in (["--version"], ["--help"]):
        return  # answered before any parsing
    _parse(words)


@pytest.mark.parametrize(
    "line",
    [
        "helmdeck -f platform.yaml deploy",  # -f belongs to the command, not the root
        "helmdeck bundle -o lab.tgz",  # -o is the output format everywhere; the file is --out-file
        "helmdeck deploy --parallel N --no-such-flag",
        "helmdeck sandbox upp",
    ],
)
def test_a_wrong_command_is_caught(line: str) -> None:
    words = _words(line)
    assert words
    with pytest.raises(Exception):  # noqa: B017 - Click's usage errors, whichever applies
        _parse(words)
