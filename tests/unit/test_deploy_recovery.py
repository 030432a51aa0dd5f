"""A Helm write retried once with hooks disabled (recovering a pending release, undeploy)."""

import pytest

from helmdeck.deploy.recovery import hooks_then_without
from helmdeck.errors import HelmdeckError


def test_a_write_that_works_keeps_its_hooks() -> None:
    calls: list[bool] = []
    heard: list[HelmdeckError] = []
    assert hooks_then_without(calls.append, heard.append) is False
    assert calls == [False] and heard == []


def test_a_failing_write_is_tried_again_without_hooks() -> None:
    calls: list[bool] = []
    heard: list[HelmdeckError] = []

    def write(disable_hooks: bool) -> None:
        calls.append(disable_hooks)
        if not disable_hooks:
            raise HelmdeckError("pre-delete hook failed")

    assert hooks_then_without(write, heard.append) is True
    assert calls == [False, True] and [e.message for e in heard] == ["pre-delete hook failed"]


def test_the_second_failure_is_raised() -> None:
    def write(disable_hooks: bool) -> None:
        raise HelmdeckError(f"failed (hooks disabled: {disable_hooks})")

    with pytest.raises(HelmdeckError, match=r"hooks disabled: True"):
        hooks_then_without(write)
