"""``helmdeck export``: every exported object passes the kube-apiserver's validation against the
vendored Flux and Argo CD CRDs (tests/cluster/crds, installed into the shared sandbox and left
there: installing them again is a no-op for tests running beside this one)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from helmdeck.gitops import GitopsTool, export_platform
from helmdeck.spec import load_platform
from tests.cluster.conftest import SandboxHandle, examples_dir

pytestmark = pytest.mark.cluster

CRDS = Path(__file__).resolve().parent / "crds"
GIT_URL = "https://git.example.org/lab/platforms.git"
REMOTE_CHARTS = """
    - name: cache
      chart: {repo: https://charts.example.org/stable, name: redis, version: 19.0.1}
      namespace: services
      needs: [mongo]
    - name: search
      chart: oci://registry.example.org/charts/opensearch:2.1.0
      namespace: services
      needs: [cache]
"""


def kubectl(sandbox: SandboxHandle, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(sandbox.binaries["kubectl"]), "--kubeconfig", sandbox.kubeconfig, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def crds(sandbox: SandboxHandle) -> None:
    files = sorted(str(p) for p in CRDS.glob("*.yaml"))
    args = [a for f in files for a in ("-f", f)]
    done = kubectl(sandbox, "apply", "--server-side", "--force-conflicts", "--field-manager=helmdeck-tests", *args)
    assert done.returncode == 0, done.stderr
    names = [f"crd/{Path(f).name.split('_')[1].removesuffix('.yaml')}.{Path(f).name.split('_')[0]}" for f in files]
    done = kubectl(sandbox, "wait", "--for=condition=Established", "--timeout=60s", *names)
    assert done.returncode == 0, done.stderr


def dry_run(sandbox: SandboxHandle, directory: Path, namespace: str) -> subprocess.CompletedProcess[str]:
    """Server-side apply in dry-run mode: the API server checks each object against its CRD's
    schema (unknown fields too: kubectl asks for strict field validation) and stores nothing."""
    files = [a for p in sorted(directory.glob("*.yaml")) if p.name != "kustomization.yaml" for a in ("-f", str(p))]
    return kubectl(sandbox, "apply", "--server-side", "--dry-run=server", "--validate=strict", "-n", namespace, *files)


@pytest.fixture
def dashboards(tmp_path: Path) -> Path:
    """The dashboards platform with remote charts added (an HTTP repository, an OCI registry)."""
    shutil.copytree(examples_dir() / "dashboards", tmp_path / "dashboards")
    path = tmp_path / "dashboards" / "platform.yaml"
    path.write_text(path.read_text() + REMOTE_CHARTS)
    return path


@pytest.mark.parametrize("tool", [GitopsTool.flux, GitopsTool.argocd])
@pytest.mark.parametrize("example", ["dashboards", "archive", "imaging"])
def test_every_exported_object_passes_the_crd_schemas(
    sandbox: SandboxHandle, crds: None, namespace: str, tmp_path: Path, tool: GitopsTool, example: str
) -> None:
    source = tmp_path / example
    shutil.copytree(examples_dir() / example, source)
    if example == "archive":
        shutil.copy(source / "secrets.example.yaml", source / "secrets.yaml")
    out = tmp_path / "out"
    result = export_platform(
        load_platform(source / "platform.yaml"), "demo", tool, out, namespace=namespace, git_url=GIT_URL
    )
    done = dry_run(sandbox, out, namespace)
    assert done.returncode == 0, done.stderr
    applied = [line for line in done.stdout.splitlines() if "serverside-applied (server dry run)" in line]
    kind = "helmrelease" if tool is GitopsTool.flux else "application"
    assert sum(kind in line for line in applied) == len(result.components), done.stdout


def test_remote_chart_sources_pass_the_crd_schemas(
    sandbox: SandboxHandle, crds: None, namespace: str, tmp_path: Path, dashboards: Path
) -> None:
    for tool in GitopsTool:
        out = tmp_path / tool.value
        export_platform(load_platform(dashboards), "dev", tool, out, namespace=namespace, git_url=GIT_URL)
        done = dry_run(sandbox, out, namespace)
        assert done.returncode == 0, done.stderr
        if tool is GitopsTool.flux:
            for kind in ("gitrepository", "helmrepository", "ocirepository", "configmap"):
                assert kind in done.stdout, done.stdout


def test_the_schemas_are_enforced(sandbox: SandboxHandle, crds: None, namespace: str, tmp_path: Path) -> None:
    """A control: the same dry run rejects an object the CRD's schema forbids."""
    out = tmp_path / "out"
    export_platform(
        load_platform(examples_dir() / "imaging" / "platform.yaml"),
        "demo",
        GitopsTool.flux,
        out,
        namespace=namespace,
        git_url=GIT_URL,
    )
    release = out / "platform.yaml"
    good = release.read_text()
    release.write_text(good.replace("timeout: 10m", "timeout: ten minutes"))
    done = dry_run(sandbox, out, namespace)
    assert done.returncode != 0
    assert "spec.timeout" in done.stderr
    release.write_text(good.replace("strategy: rollback", "strategy: rollback\n      onFailure: retry"))
    done = dry_run(sandbox, out, namespace)
    assert done.returncode != 0
    assert "onFailure: field not declared in schema" in done.stderr
