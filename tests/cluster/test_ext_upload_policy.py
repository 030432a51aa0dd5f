"""Uploaded extensions on the sandbox: the upload policy holds at every install, with the actual
parameters (a namespace templated from the platform's globals, a ClusterRole behind a switch), a
chart that reads the cluster with ``lookup`` is refused, and secret parameters travel outside argv."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from lightkube.resources.core_v1 import ConfigMap

from helmdeck.extensions.catalog import Catalog
from helmdeck.extensions.manager import ExtensionManager
from helmdeck.extensions.state import upload_dir
from helmdeck.extensions.upload import MiB, UploadPolicy, UploadRejected, accept_upload
from tests.cluster.ext_support import Platform

pytestmark = pytest.mark.cluster

SCHEMA = {
    "type": "object",
    "properties": {
        "parameters": {
            "type": "object",
            "properties": {"escape": {"type": "boolean", "title": "Escape"}, "rbac": {"type": "boolean"}},
        }
    },
}
CHART_YAML = "apiVersion: v2\nname: {name}\nversion: 0.1.0\nannotations:\n  helmdeck.dev/kind: application\n"
# the namespace comes from the platform's own globals once a parameter asks for it
ESCAPING_CM = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}
  {{- if .Values.parameters.escape }}
  namespace: {{ .Values.global.namespaces.admin }}
  {{- end }}
data: {a: b}
"""
SWITCHED_ROLE = """{{- if .Values.parameters.rbac }}
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ .Release.Name }}-all
rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]
{{- end }}
"""
LOOKUP = """apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-loot
data:
  {{- $s := lookup "v1" "Secret" .Values.global.namespaces.admin "helmdeck-secrets-extplat" }}
  {{- if $s }}{{ toYaml $s.data | nindent 2 }}{{ end }}
"""


def _tgz(name: str, templates: dict[str, str]) -> bytes:
    files = {
        f"{name}/Chart.yaml": CHART_YAML.format(name=name),
        f"{name}/values.yaml": "parameters: {escape: false, rbac: false}\n",
        f"{name}/values.schema.json": json.dumps(SCHEMA),
        **{f"{name}/templates/{k}": v for k, v in templates.items()},
    }
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def _upload(plat: Platform, name: str, templates: dict[str, str]) -> ExtensionManager:
    s = plat.session()
    uploads = upload_dir(plat.path.parent)
    policy = UploadPolicy(s.admin_namespace, s.platform.logical_namespace("extensions"), max_archive_bytes=MiB)
    accept_upload(_tgz(name, templates), f"{name}-0.1.0.tgz", uploads, policy)
    return ExtensionManager(s, Catalog.for_platform(s.platform, uploads), failure_grace=3.0)


@pytest.mark.parametrize(
    ("templates", "parameters", "refusal"),
    [
        ({"cm.yaml": ESCAPING_CM}, {"escape": "true"}, "an uploaded extension may only create objects in"),
        ({"cm.yaml": ESCAPING_CM, "role.yaml": SWITCHED_ROLE}, {"rbac": "true"}, "is cluster-scoped"),
    ],
    ids=["namespace-from-globals", "cluster-role-by-parameter"],
)
def test_install_checks_what_the_parameters_render(
    plat: Platform,
    templates: dict[str, str],
    parameters: dict[str, str],
    refusal: str,
) -> None:
    manager = _upload(plat, "sly", templates)  # the defaults pass the upload checks
    with pytest.raises(UploadRejected) as caught:
        manager.install("sly", parameters)
    assert refusal in caught.value.message and "with these parameters" in caught.value.message
    s = plat.session()
    assert "sly" not in s.live_releases()  # nothing installed
    assert [c for c in s.client.list(ConfigMap, namespace=s.admin_namespace) if c.metadata.name == "sly"] == []
    assert manager.install("sly", {}).ok  # the same chart with harmless parameters installs


def test_a_chart_that_looks_up_the_cluster_is_refused_at_upload(plat: Platform) -> None:
    with pytest.raises(UploadRejected, match=re.escape("calls `lookup` in templates/loot.yaml")):
        _upload(plat, "thief", {"loot.yaml": LOOKUP})
    assert not (upload_dir(plat.path.parent) / "thief-0.1.0").exists()


def test_secret_parameters_travel_outside_argv(plat: Platform, tmp_path: Path) -> None:
    common = ["-f", str(plat.path), "--kubeconfig", plat.sandbox.kubeconfig, "--state-dir", str(plat.path.parent)]
    token = "tok-" + os.urandom(8).hex()
    params = tmp_path / "params.yaml"
    params.write_text("profile: minimal\nsize: 1Gi\ntokenless: false\n")
    env = {**os.environ, "HELMDECK_PARAM_TOKEN": token}
    argv = [sys.executable, "-m", "helmdeck.cli.main", "ext", "install", "tiny-app", "--param-file", str(params)]
    run = subprocess.run([*argv, *common, "-o", "json"], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    assert token not in " ".join(argv + common)  # never in this process's command line
    assert token not in run.stdout + run.stderr  # nor in what it printed
    s = plat.session()
    values = s.engine.get_values("tiny-app", namespace=s.platform.logical_namespace("extensions"))
    assert values["parameters"]["token"] == token and values["parameters"]["profile"] == "minimal"


def test_a_secret_parameter_on_the_command_line_is_warned_about(plat: Platform) -> None:
    common = ["-f", str(plat.path), "--kubeconfig", plat.sandbox.kubeconfig, "--state-dir", str(plat.path.parent)]
    argv = [sys.executable, "-m", "helmdeck.cli.main", "ext", "install", "tiny-app"]
    params = ["-p", "profile=minimal", "-p", "size=1Gi", "-p", "tokenless=false", "-p", "token=visible"]
    run = subprocess.run([*argv, *params, *common], capture_output=True, text=True, timeout=300)
    text = " ".join(run.stderr.split())
    assert "secret parameter token was given on the command line" in text and "HELMDECK_PARAM_TOKEN" in text
    # issue 17: refused, not only warned about, unless --insecure-argv
    assert run.returncode != 0 and "refused:" in text
    s = plat.session()
    assert "tiny-app" not in s.live_releases()
