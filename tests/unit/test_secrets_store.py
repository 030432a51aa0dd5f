"""The secret store's rules, on the in-memory store (the cluster one is in tests/cluster)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helmdeck.errors import ClusterError, ConfigError
from helmdeck.secrets import MemoryStore, StoredSecret, placeholder_secrets
from helmdeck.secrets.store import StoreConflict
from helmdeck.spec import Platform, parse_platform


def make_platform(tmp_path: Path, name: str = "demo") -> Platform:
    text = (
        f"apiVersion: helmdeck.dev/v1\nkind: Platform\nmetadata: {{name: {name}}}\nspec:\n"
        "  secrets:\n"
        "    gen: {generate: {length: 40, alphabet: hex}, into: [app.db.password]}\n"
        "    short: {generate: {length: 8}, into: [app.short]}\n"
        "    env: {fromEnv: DEMO_TOKEN, into: [app.token]}\n"
        "    file: {fromFile: token.txt, into: [app.file]}\n"
        "  components:\n"
        "    - {name: app, chart: oci://registry.example.org/app}\n"
    )
    return parse_platform(text, path=tmp_path / "platform.yaml")


@pytest.fixture
def platform(tmp_path: Path) -> Platform:
    (tmp_path / "token.txt").write_text("file-token-value\n")
    return make_platform(tmp_path)


ENV = {"DEMO_TOKEN": "env-token-value"}


def test_ensure_generates_once_and_then_reuses(platform: Platform) -> None:
    store = MemoryStore(platform, environ=ENV)
    first = store.ensure()
    assert len(first["gen"]) == 40 and set(first["gen"]) <= set("0123456789abcdef")
    assert first["env"] == "env-token-value" and first["file"] == "file-token-value"
    assert store.writes == 1
    assert store.ensure() == first
    assert store.writes == 1  # nothing changed, nothing written


def test_external_values_are_stored_for_later_runs(platform: Platform) -> None:
    store = MemoryStore(platform, environ=ENV)
    store.ensure()
    later = MemoryStore(platform, environ={})
    later.entries = store.entries
    assert later.ensure()["env"] == "env-token-value"


def test_missing_external_value_names_the_variable(platform: Platform) -> None:
    with pytest.raises(ConfigError) as caught:
        MemoryStore(platform, environ={}).ensure()
    assert "DEMO_TOKEN" in caught.value.message and "export DEMO_TOKEN" in (caught.value.fix or "")


def test_missing_external_file_names_the_file(tmp_path: Path) -> None:
    platform = make_platform(tmp_path)  # token.txt was not written
    with pytest.raises(ConfigError) as caught:
        MemoryStore(platform, environ=ENV).ensure()
    assert "token.txt" in caught.value.message


def test_a_changed_external_value_replaces_the_stored_one(platform: Platform) -> None:
    store = MemoryStore(platform, environ=ENV)
    store.ensure()
    created = store.entries["env"].created
    store._environ = {"DEMO_TOKEN": "new-token-value"}
    assert store.ensure()["env"] == "new-token-value"
    assert store.entries["env"].created == created and store.entries["env"].rotated is not None


def test_rotate_changes_one_secret_and_records_when(platform: Platform) -> None:
    store = MemoryStore(platform, environ=ENV)
    before = store.ensure()
    info = store.rotate("gen")
    after = store.ensure()
    assert after["gen"] != before["gen"] and len(after["gen"]) == 40
    assert {k: v for k, v in after.items() if k != "gen"} == {k: v for k, v in before.items() if k != "gen"}
    assert info.name == "gen" and info.rotated is not None and info.created is not None
    assert info.rotated >= info.created


def test_rotate_an_unknown_secret_suggests_the_name(platform: Platform) -> None:
    with pytest.raises(ConfigError) as caught:
        MemoryStore(platform, environ=ENV).rotate("gne")
    assert caught.value.fix == "did you mean 'gen'?"


def test_list_shows_sources_and_times_never_values(platform: Platform) -> None:
    store = MemoryStore(platform, environ=ENV)
    assert [(i.name, i.stored) for i in store.list()] == [
        ("gen", False),
        ("short", False),
        ("env", False),
        ("file", False),
    ]
    values = store.ensure()
    store.entries["old"] = StoredSecret(value="leftover-value", source="generate", created=store.entries["gen"].created)
    infos = store.list()
    assert [(i.name, i.source, i.declared) for i in infos] == [
        ("gen", "generate", True),
        ("short", "generate", True),
        ("env", "env:DEMO_TOKEN", True),
        ("file", "file:" + infos[3].source.removeprefix("file:"), True),
        ("old", "generate", False),
    ]
    assert infos[3].source.endswith("token.txt")
    dumped = repr([i.as_dict() for i in infos]) + repr(infos)
    for value in [*values.values(), "leftover-value"]:
        assert value not in dumped
    assert "value" not in infos[0].as_dict()


def test_reveal(platform: Platform) -> None:
    store = MemoryStore(platform, environ=ENV)
    with pytest.raises(ConfigError, match="has no value yet"):
        store.reveal("gen")
    values = store.ensure()
    assert store.reveal("gen") == values["gen"]
    with pytest.raises(ConfigError):
        store.reveal("nope")


def test_redactor_covers_every_stored_value(platform: Platform) -> None:
    store = MemoryStore(platform, environ=ENV)
    values = store.ensure()
    assert store.redactor().text(" ".join(values.values())) == (
        "<redacted:gen> <redacted:short> <redacted:env> <redacted:file>"
    )


class FlakyStore(MemoryStore):
    """Another writer gets in between our read and write, ``conflicts`` times."""

    def __init__(self, platform: Platform, conflicts: int) -> None:
        super().__init__(platform, environ=ENV)
        self.conflicts = conflicts

    def _write(self, entries: dict[str, StoredSecret], token: str | None) -> None:
        if self.conflicts:
            self.conflicts -= 1
            self.version += 1  # someone else's write
            raise StoreConflict
        super()._write(entries, token)


def test_a_conflicting_write_is_retried(platform: Platform) -> None:
    store = FlakyStore(platform, conflicts=2)
    values = store.ensure()
    assert store.entries["gen"].value == values["gen"]


def test_endless_conflicts_give_up_with_a_clear_error(platform: Platform) -> None:
    with pytest.raises(ClusterError, match="kept changing"):
        FlakyStore(platform, conflicts=100).ensure()


def test_a_store_serves_only_its_platform(platform: Platform, tmp_path: Path) -> None:
    other = make_platform(tmp_path, name="other")
    with pytest.raises(ConfigError, match="belongs to platform 'demo'"):
        MemoryStore(platform, environ=ENV).ensure(other)


def test_placeholders_are_stable_distinct_and_sized(platform: Platform) -> None:
    first = placeholder_secrets(platform)
    assert first == placeholder_secrets(platform)
    assert len(set(first.values())) == len(first)
    assert len(first["gen"]) == 40 and len(first["short"]) == 8
    assert first["env"].startswith("placeholder-env-")
