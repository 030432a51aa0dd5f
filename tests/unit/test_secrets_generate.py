"""Generating secrets and reading them from the environment or files."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from helmdeck.errors import ConfigError
from helmdeck.secrets import describe_source, generate_secret, read_external
from helmdeck.spec import ALPHABETS, Generate, SecretDecl


def test_default_is_32_alphanumeric_characters() -> None:
    value = generate_secret()
    assert len(value) == 32
    assert set(value) <= set(ALPHABETS["alphanumeric"])


@pytest.mark.parametrize("alphabet", list(ALPHABETS))
def test_named_alphabets(alphabet: str) -> None:
    value = generate_secret(Generate(length=200, alphabet=alphabet))
    assert len(value) == 200
    assert set(value) <= set(ALPHABETS[alphabet])


def test_literal_alphabet() -> None:
    value = generate_secret(Generate(length=64, alphabet="xyz"))
    assert set(value) <= {"x", "y", "z"} and len(value) == 64


def test_values_differ_and_use_the_whole_alphabet() -> None:
    values = {generate_secret(Generate(length=16, alphabet="hex")) for _ in range(50)}
    assert len(values) == 50
    assert set("".join(values)) == set(ALPHABETS["hex"])


@pytest.mark.parametrize("spec", [{"length": 4}, {"length": 5000}, {"alphabet": "a"}, {"alphabet": "aaaa"}])
def test_weak_or_absurd_specs_are_refused(spec: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Generate.model_validate(spec)


def test_from_env() -> None:
    decl = SecretDecl.model_validate({"fromEnv": "DB_PASSWORD"})
    assert read_external("db", decl, {"DB_PASSWORD": "hunter2-but-longer"}) == "hunter2-but-longer"
    assert read_external("db", decl, {}) is None
    assert describe_source(decl) == "env:DB_PASSWORD"
    with pytest.raises(ConfigError, match="DB_PASSWORD is empty"):
        read_external("db", decl, {"DB_PASSWORD": ""})


def test_from_file_drops_one_trailing_newline(tmp_path: Path) -> None:
    path = tmp_path / "token"
    decl = SecretDecl.model_validate({"fromFile": str(path)})
    assert read_external("token", decl) is None
    path.write_text("s3cr3t-value\n")
    assert read_external("token", decl) == "s3cr3t-value"
    path.write_text("two lines\nhere\n\n")
    assert read_external("token", decl) == "two lines\nhere\n"
    path.write_text("\n")
    with pytest.raises(ConfigError, match="is empty"):
        read_external("token", decl)
