"""Redaction of secret values in text, data, errors and logs."""

from __future__ import annotations

import base64
import io
import json
import logging
from typing import Any

from helmdeck.errors import ConfigError
from helmdeck.secrets import RedactingFilter, Redactor, known_redactor, remember
from helmdeck.spec import PlatformFileError

SECRETS = {"db": "p4ss-W0rd-0123", "db-long": "p4ss-W0rd-0123-and-more", "api": 'we"ird\\chars'}


def test_plain_text() -> None:
    r = Redactor(SECRETS)
    assert r.text("password=p4ss-W0rd-0123;") == "password=<redacted:db>;"
    # the longer secret that contains the shorter one is replaced whole
    assert r.text("x p4ss-W0rd-0123-and-more y") == "x <redacted:db-long> y"


def test_nested_data_including_keys() -> None:
    r = Redactor(SECRETS)
    data: dict[str, Any] = {"a": ["p4ss-W0rd-0123", {"p4ss-W0rd-0123": 1}], "n": 5, "t": ("p4ss-W0rd-0123",)}
    assert r.redact(data) == {"a": ["<redacted:db>", {"<redacted:db>": 1}], "n": 5, "t": ("<redacted:db>",)}
    assert data["a"][0] == "p4ss-W0rd-0123"  # a copy


def test_base64_and_json_spellings() -> None:
    r = Redactor(SECRETS)
    manifest = f"data:\n  password: {base64.b64encode(b'p4ss-W0rd-0123').decode()}\n"
    assert r.text(manifest) == "data:\n  password: <redacted:db>\n"
    dumped = json.dumps({"k": 'we"ird\\chars'})
    assert "<redacted:api>" in r.text(dumped) and "ird" not in r.text(dumped)


def test_no_secrets_means_no_change() -> None:
    r = Redactor({"empty": ""})
    assert not r
    assert r.text("anything") == "anything"
    obj = {"a": 1}
    assert r.redact(obj) is obj


def test_errors_are_redacted_including_every_problem() -> None:
    r = Redactor(SECRETS)
    error = ConfigError(
        "bad value p4ss-W0rd-0123",
        where="--set a=p4ss-W0rd-0123",
        fix="not p4ss-W0rd-0123",
        details={"v": "p4ss-W0rd-0123"},
    )
    clean = r.error(error)
    assert "p4ss" not in str(clean) and "p4ss" not in json.dumps(clean.as_dict())
    assert isinstance(clean, ConfigError) and "p4ss" in error.message  # the original is untouched
    many = PlatformFileError(
        [
            ConfigError("one p4ss-W0rd-0123", where="f:1:1", fix="x"),
            ConfigError("two", where="f:2:1", fix="p4ss-W0rd-0123"),
        ]
    )
    clean_many = r.error(many)
    assert isinstance(clean_many, PlatformFileError)
    assert "p4ss" not in str(clean_many) and "p4ss" not in json.dumps(clean_many.as_dict())


def test_logging_filter_redacts_messages_arguments_and_tracebacks() -> None:
    r = Redactor(SECRETS)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(r.logging_filter())
    logger = logging.getLogger("helmdeck.test.redact")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("connecting with %s", "p4ss-W0rd-0123")
        try:
            raise RuntimeError("failed for p4ss-W0rd-0123")
        except RuntimeError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert "p4ss" not in out
    assert "connecting with <redacted:db>" in out and "failed for <redacted:db>" in out


def test_values_seen_by_stores_are_redacted_process_wide() -> None:
    remember({"process-wide": "a-value-seen-0987654321"})
    assert known_redactor().text("x a-value-seen-0987654321") == "x <redacted:process-wide>"
    # a filter without its own redactor picks up values remembered after it was made
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("helmdeck.test.redact.known")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        remember({"later": "learnt-later-5555555555"})
        logger.info("token %s and %s", "learnt-later-5555555555", "a-value-seen-0987654321")
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue().strip() == "token <redacted:later> and <redacted:process-wide>"
