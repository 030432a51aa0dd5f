"""Redaction keeps the output's shape: a very short secret is hidden where it is a whole value,
without cutting every key and word that holds its letters ("x" in "extension", "exitCode")."""

from __future__ import annotations

from helmdeck.secrets.redact import Redactor


def test_a_very_short_secret_is_hidden_as_a_whole_value_only() -> None:
    redactor = Redactor({"pin": "x"})
    data = {"extension": "tiny-app", "exitCode": None, "image": "busybox:1.36", "pin": "x", "values": ["x", "max"]}
    assert redactor.redact(data) == {
        "extension": "tiny-app",
        "exitCode": None,
        "image": "busybox:1.36",
        "pin": "<redacted:pin>",
        "values": ["<redacted:pin>", "max"],
    }
    assert bool(redactor)


def test_secrets_of_four_characters_and_more_are_hidden_inside_text() -> None:
    redactor = Redactor({"pw": "hunter2", "short": "abcd"})
    assert redactor.text("login hunter2 with abcd") == "login <redacted:pw> with <redacted:short>"
