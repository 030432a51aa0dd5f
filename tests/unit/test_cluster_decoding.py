"""Decoding API responses from several threads at once (the deploy executor's workers do)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from lightkube.core import decoders
from lightkube.resources.core_v1 import Pod

from helmdeck.cluster.decoding import prepare_decoding, prepare_list_model
from helmdeck.cluster.kinds import KindInfo, resource_class

RACE = textwrap.dedent(
    """
    import json, sys, threading
    sys.setswitchinterval(1e-6)
    from lightkube.core import decoders
    from lightkube.resources.apps_v1 import Deployment, StatefulSet
    from lightkube.resources.core_v1 import Pod, Service
    from helmdeck.cluster.decoding import prepare_decoding
    prepare_decoding()
    pod = {"metadata": {"name": "p", "labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i",
           "ports": [{"containerPort": 80}], "env": [{"name": "A", "value": "1"}]}]},
           "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
           "containerStatuses": [{"name": "c", "ready": True, "restartCount": 0, "image": "i", "imageID": "",
           "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]}}
    body = json.dumps({"metadata": {"resourceVersion": "1"}, "items": [pod] * 50}).encode()
    start = threading.Barrier(8)
    failures = []
    def work(res):
        start.wait()
        try:
            for _ in range(20):
                decoders.decode_list(body, res)
        except Exception as exc:
            failures.append(repr(exc))
    threads = [threading.Thread(target=work, args=(r,)) for r in [Pod, Deployment, StatefulSet, Service] * 2]
    for t in threads: t.start()
    for t in threads: t.join()
    print("failures", len(failures))
    """
)


def test_threads_decode_the_same_models_for_the_first_time_without_crashing() -> None:
    # without prepared tables this crashed the interpreter (SIGSEGV) in a fraction of fresh processes
    for _ in range(4):
        done = subprocess.run([sys.executable, "-c", RACE], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "failures" in done.stdout


def test_list_models_are_made_once_and_reused() -> None:
    prepare_decoding()
    first, _ = decoders._get_list_model(Pod)
    prepare_decoding()
    assert decoders._get_list_model(Pod)[0] is first


def test_custom_resource_classes_get_their_list_model_prepared() -> None:
    cls = resource_class(KindInfo(api_version="example.org/v1", kind="Widget", plural="widgets", namespaced=True))
    assert cls in decoders._list_models
    before = decoders._list_models[cls][0]
    prepare_list_model(cls)
    assert decoders._list_models[cls][0] is before
