"""The engine calls' options objects: what crosses to the release worker, and the option keys libhelm_c
gets from them (the keys helmdeck sent before the options were objects)."""

from __future__ import annotations

import json
from typing import Any

from helmdeck.engine import _abi
from helmdeck.engine.options import InstallOptions, RollbackOptions, UninstallOptions, WriteOptions
from helmdeck.engine.port import CancelToken


def sent(keys: dict[str, Any]) -> dict[str, Any]:
    """The option JSON libhelm_c receives (unset keys left out)."""
    text = _abi._opts(keys)
    return json.loads(text) if text else {}


def test_options_cross_to_the_worker_as_json_and_come_back_equal_without_the_cancel_token() -> None:
    token = CancelToken()
    cases: list[WriteOptions] = [
        InstallOptions(
            namespace="s",
            timeout=2.5,
            labels={"helmdeck.dev/platform": "p"},
            values_files=("a.yaml",),
            force_conflicts=True,
            cancel=token,
        ),
        RollbackOptions(namespace="s", disable_hooks=True, max_history=3, cancel=token),
        UninstallOptions(namespace="s", keep_history=True, ignore_not_found=True, description="d"),
    ]
    for options in cases:
        shipped = json.loads(json.dumps(options.to_json()))
        assert "cancel" not in shipped
        back = type(options).from_json(shipped)
        assert back == options and back.cancel is None


def test_install_and_upgrade_send_the_keys_they_always_sent() -> None:
    options = InstallOptions(
        namespace="s",
        description="helmdeck deploy",
        labels={"a": "b"},
        timeout=0.2,
        max_history=5,
        force_conflicts=True,
        component="web",
    )
    shared = {
        "namespace": "s",
        "timeout_seconds": 1,
        "wait": "hookOnly",
        "description": "helmdeck deploy",
        "labels": {"a": "b"},
    }
    assert sent(options.helm_keys(upgrade=False)) == shared
    assert sent(options.helm_keys(upgrade=True)) == {
        **shared,
        "max_history": 5,
        "reset_values": True,
        "force_conflicts": True,
    }
    waiting = InstallOptions(namespace="s", wait=True, take_ownership=True, labels={})
    assert sent(waiting.helm_keys(upgrade=False)) == {
        "namespace": "s",
        "wait": "watcher",
        "wait_for_jobs": True,
        "take_ownership": True,
    }


def test_rollback_and_uninstall_send_the_keys_they_always_sent() -> None:
    assert sent(RollbackOptions(timeout=30, disable_hooks=True).helm_keys(2)) == {
        "version": 2,
        "timeout_seconds": 30,
        "wait": "hookOnly",
        "disable_hooks": True,
    }
    assert sent(UninstallOptions(wait=True, keep_history=True, description="helmdeck undeploy").helm_keys()) == {
        "keep_history": True,
        "wait": "watcher",
        "description": "helmdeck undeploy",
    }
