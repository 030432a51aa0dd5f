"""``helmdeck export``: Flux HelmReleases and Argo CD Applications from the example platforms:
dependency order, values in helmdeck's layer order, secrets by reference only, clear errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from helmdeck.cli import export_cmd
from helmdeck.gitops import ExportError, GitopsTool, export_platform
from helmdeck.secrets.store import MemoryStore, placeholder_secrets
from helmdeck.spec import load_platform

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
GIT_URL = "https://git.example.org/lab/platforms.git"
LEVELS = {"mongo": 0, "redis": 0, "minio": 0, "backend": 1, "celery-worker": 2, "viewer": 2, "ingress": 3}


def copy_example(tmp_path: Path, name: str) -> Path:
    shutil.copytree(EXAMPLES / name, tmp_path / name)
    return tmp_path / name / "platform.yaml"


def objects(directory: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            out += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return out


def by_kind(directory: Path, kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects(directory) if o["kind"] == kind}


def run(*args: str) -> tuple[int, str]:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        pass

    export_cmd.register(app)
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_flux_releases_depend_on_what_their_components_need(tmp_path: Path) -> None:
    platform = load_platform(EXAMPLES / "dashboards" / "platform.yaml")
    out = tmp_path / "out"
    export_platform(platform, "demo", GitopsTool.flux, out, git_url=GIT_URL)
    releases = by_kind(out, "HelmRelease")
    assert set(releases) == {f"dashboards-{c}" for c in platform.component_names}
    for comp in platform.components:
        spec = releases[f"dashboards-{comp.name}"]["spec"]
        assert [d["name"] for d in spec.get("dependsOn", [])] == [f"dashboards-{n}" for n in comp.needs]
        assert (spec["releaseName"], spec["targetNamespace"], spec["storageNamespace"]) == (
            comp.name,
            "services",
            "services",
        )
        assert spec["timeout"] == comp.health.timeout
        assert spec["install"]["remediation"]["retries"] == 3
        assert spec["upgrade"]["remediation"]["strategy"] == "rollback"
        assert "disableWait" not in spec["install"] and "disableWait" not in spec["upgrade"]
        assert spec["chart"]["spec"]["sourceRef"] == {"kind": "GitRepository", "name": "dashboards"}
        assert spec["chart"]["spec"]["chart"] == f"./examples/dashboards/charts/{comp.name}"
        # inline values would override valuesFrom, secrets included: every layer is a reference
        assert "values" not in spec
    assert releases["dashboards-backend"]["metadata"]["namespace"] == "admin"
    (git,) = by_kind(out, "GitRepository").values()
    assert git["spec"]["url"] == GIT_URL
    kustomization = yaml.safe_load((out / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(
        p.name for p in out.glob("*.yaml") if p.name != "kustomization.yaml"
    )


def test_flux_secrets_are_references_into_helmdecks_secret_store(tmp_path: Path) -> None:
    platform = load_platform(EXAMPLES / "dashboards" / "platform.yaml")
    out = tmp_path / "out"
    export_platform(platform, "demo", GitopsTool.flux, out, git_url=GIT_URL)
    spec = by_kind(out, "HelmRelease")["dashboards-backend"]["spec"]
    refs = spec["valuesFrom"]
    assert refs[0] == {"kind": "ConfigMap", "name": "dashboards-backend-values", "valuesKey": "values-1.yaml"}
    secret_refs = [(r["valuesKey"], r["targetPath"]) for r in refs if r["kind"] == "Secret"]
    assert secret_refs == platform.secret_targets("backend")
    assert all(r["name"] == "helmdeck-secrets-dashboards" and r["literal"] for r in refs if r["kind"] == "Secret")
    values = yaml.safe_load(by_kind(out, "ConfigMap")["dashboards-backend-values"]["data"]["values-1.yaml"])
    assert values["replicas"] == 1  # env/demo.yaml
    assert values["global"]["platform"] == "dashboards"


def test_argocd_sync_waves_follow_the_dependency_levels(tmp_path: Path) -> None:
    out = tmp_path / "out"
    platform = load_platform(EXAMPLES / "dashboards" / "platform.yaml")
    export_platform(platform, "dev", GitopsTool.argocd, out, git_url=GIT_URL, git_branch="release")
    apps = by_kind(out, "Application")
    waves = {name.removeprefix("dashboards-"): int(a["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
             for name, a in apps.items()}  # fmt: skip
    assert waves == LEVELS
    for comp in platform.components:
        for need in comp.needs:
            assert waves[need] < waves[comp.name]
    backend = apps["dashboards-backend"]
    assert backend["metadata"]["namespace"] == "argocd"
    assert backend["spec"]["destination"] == {"server": "https://kubernetes.default.svc", "namespace": "services"}
    source = backend["spec"]["source"]
    assert (source["repoURL"], source["path"], source["targetRevision"]) == (
        GIT_URL,
        "examples/dashboards/charts/backend",
        "release",
    )
    assert source["helm"]["valuesObject"]["replicas"] == 2  # env/dev.yaml
    assert "automated" not in backend["spec"]["syncPolicy"]
    refs = json.loads(backend["metadata"]["annotations"]["helmdeck.dev/secret-values"])
    assert [(r["key"], r["path"]) for r in refs] == platform.secret_targets("backend")


def test_argocd_auto_sync_on_request(tmp_path: Path) -> None:
    platform = load_platform(EXAMPLES / "imaging" / "platform.yaml")
    export_platform(platform, "demo", GitopsTool.argocd, tmp_path, git_url=GIT_URL, auto_sync=True, project="lab")
    app = by_kind(tmp_path, "Application")["imaging-platform"]
    assert app["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert app["spec"]["project"] == "lab"
    assert app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "1"


def test_no_secret_value_reaches_any_file_or_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = copy_example(tmp_path, "dashboards")
    base = path.parent
    # an external secret from the environment, and a values file of secrets beside the generated ones
    text = path.read_text().replace(
        "    backend-jwt-secret:\n",
        "    smtp-password:\n      fromEnv: SMTP_PASSWORD\n      into: [backend.mail.password]\n"
        "    backend-jwt-secret:\n",
    )
    credentials = "      environments: {demo: {values: [values/backend-credentials.yaml]}}\n"
    text = text.replace("      values: [values/backend.yaml]\n", "      values: [values/backend.yaml]\n" + credentials)
    path.write_text(text)
    from_env = "env-Secret-8c1f3a7e9d"
    file_secret = "file-Secret-5b2d9e0f4a"
    monkeypatch.setenv("SMTP_PASSWORD", from_env)
    (base / "values" / "backend-credentials.yaml").write_text(f"oauth:\n  clientSecret: {file_secret}\n")
    platform = load_platform(path)
    generated = MemoryStore(platform).ensure()  # what a deploy would store and inject
    secrets = {*generated.values(), *placeholder_secrets(platform).values(), from_env, file_secret}
    assert len(secrets) == 2 * len(generated) + 2 - 1  # the env secret's stored value is from_env
    for tool in ("--flux", "--argocd"):
        out = tmp_path / tool.strip("-")
        args = ["-f", str(path), "-e", "demo", "--output-dir", str(out), "--git-url", GIT_URL, "-o", "json"]
        code, stdout = run("export", tool, *args)
        assert code == 0, stdout
        files = list(out.iterdir())
        assert {p.name for p in files} >= {"backend.yaml", "kustomization.yaml", "README.md"}
        for text in [stdout, *(p.read_text() for p in files)]:
            for value in secrets:
                assert value not in text
        report = json.loads(stdout)
        backend = next(c for c in report["components"] if c["name"] == "backend")
        assert {"secret": "smtp-password", "path": "mail.password"} in backend["secretValues"]
        assert backend["secretFiles"][0]["reason"] == "named like a secrets file"
        assert report["secretsToCreate"][0]["name"] == "dashboards-backend-backend-credentials-yaml"


def test_values_keep_helmdecks_layer_order_around_secret_files(tmp_path: Path) -> None:
    path = copy_example(tmp_path, "dashboards")
    text = path.read_text().replace(
        "      values: [values/backend.yaml]\n",
        "      values: [values/backend.yaml]\n      environments: {demo: {values: [values/private.yaml]}}\n",
    )
    path.write_text(text)
    (path.parent / "values" / "private.yaml").write_text("replicas: 9\n")
    out = tmp_path / "out"
    export_platform(
        load_platform(path),
        "demo",
        GitopsTool.flux,
        out,
        git_url=GIT_URL,
        cli_sets=["backend.replicas=4"],
        secret_files=[path.parent / "values" / "private.yaml"],
    )
    refs = by_kind(out, "HelmRelease")["dashboards-backend"]["spec"]["valuesFrom"]
    shape = [(r["kind"], r.get("valuesKey"), r.get("targetPath")) for r in refs]
    # plain layers < the secret file (an environment file) < helmdeck's secrets < --set
    assert shape[:2] == [("ConfigMap", "values-1.yaml", None), ("Secret", "values.yaml", None)]
    assert [s[0] for s in shape[2:-1]] == ["Secret"] * 4
    assert shape[-1] == ("ConfigMap", "values-2.yaml", None)
    data = by_kind(out, "ConfigMap")["dashboards-backend-values"]["data"]
    assert yaml.safe_load(data["values-2.yaml"]) == {"replicas": 4}
    assert all("replicas: 9" not in p.read_text() for p in out.iterdir())  # the file is referenced, never read
    readme = (out / "README.md").read_text()
    assert "kubectl create secret generic dashboards-backend-private-yaml -n admin" in readme


def test_remote_charts_get_repository_sources(tmp_path: Path) -> None:
    path = copy_example(tmp_path, "dashboards")
    path.write_text(
        path.read_text()
        + "    - name: cache\n      chart: {repo: https://charts.example.org/stable, name: redis, version: 19.0.1}\n"
        "    - name: search\n      chart: oci://registry.example.org/charts/opensearch:2.1.0\n      needs: [cache]\n"
    )
    out = tmp_path / "flux"
    export_platform(load_platform(path), None, GitopsTool.flux, out, git_url=GIT_URL)
    releases = by_kind(out, "HelmRelease")
    (repo,) = by_kind(out, "HelmRepository").values()
    assert repo["spec"]["url"] == "https://charts.example.org/stable"
    cache = releases["dashboards-cache"]["spec"]["chart"]["spec"]
    assert (cache["chart"], cache["version"], cache["sourceRef"]["name"]) == (
        "redis",
        "19.0.1",
        repo["metadata"]["name"],
    )
    assert releases["dashboards-search"]["spec"]["chartRef"] == {"kind": "OCIRepository", "name": "dashboards-search"}
    oci = by_kind(out, "OCIRepository")["dashboards-search"]["spec"]
    assert (oci["url"], oci["ref"]) == ("oci://registry.example.org/charts/opensearch", {"tag": "2.1.0"})
    out = tmp_path / "argo"
    export_platform(load_platform(path), None, GitopsTool.argocd, out, git_url=GIT_URL)
    search = by_kind(out, "Application")["dashboards-search"]["spec"]["source"]
    assert (search["repoURL"], search["chart"], search["targetRevision"]) == (
        "registry.example.org/charts",
        "opensearch",
        "2.1.0",
    )


def test_an_unpinned_oci_chart_is_an_error_naming_the_key(tmp_path: Path) -> None:
    path = copy_example(tmp_path, "dashboards")
    path.write_text(
        path.read_text() + "    - name: search\n      chart: oci://registry.example.org/charts/opensearch\n"
    )
    with pytest.raises(ExportError) as err:
        export_platform(load_platform(path), None, GitopsTool.flux, tmp_path / "out", git_url=GIT_URL)
    assert "has no tag" in err.value.message
    assert err.value.where is not None and "platform.yaml:" in err.value.where
    assert err.value.fix is not None and ":1.2.3" in err.value.fix
    assert not (tmp_path / "out").exists()


def test_local_charts_without_a_git_url_are_an_error(tmp_path: Path) -> None:
    path = copy_example(tmp_path, "imaging")
    with pytest.raises(ExportError) as err:
        export_platform(load_platform(path), "demo", GitopsTool.flux, tmp_path / "out")
    assert "origin" in err.value.message and err.value.fix is not None and "--git-url" in err.value.fix
    with pytest.raises(ExportError) as err:
        export_platform(load_platform(path), "demo", GitopsTool.flux, tmp_path / "out", git_url="/srv/git/x")
    assert err.value.where == "--git-url"


def test_the_origin_remote_names_the_repository(tmp_path: Path) -> None:
    path = copy_example(tmp_path, "imaging")
    git = ["git", "-C", str(path.parent)]
    subprocess.run([*git, "init", "-q", "-b", "lab"], check=True)
    subprocess.run([*git, "remote", "add", "origin", "git@git.example.org:lab/imaging.git"], check=True)
    export_platform(load_platform(path), "demo", GitopsTool.flux, tmp_path / "out")
    (repo,) = by_kind(tmp_path / "out", "GitRepository").values()
    assert repo["spec"] == {
        "interval": "10m",
        "url": "ssh://git@git.example.org/lab/imaging.git",
        "ref": {"branch": "lab"},
    }
    release = by_kind(tmp_path / "out", "HelmRelease")["imaging-platform"]
    assert release["spec"]["chart"]["spec"]["chart"] == "./charts/platform"


def test_argocd_refuses_a_packaged_local_chart(tmp_path: Path) -> None:
    path = copy_example(tmp_path, "dashboards")
    (path.parent / "charts" / "viewer.tgz").write_bytes(b"")
    path.write_text(path.read_text().replace("chart: charts/viewer", "chart: charts/viewer.tgz"))
    with pytest.raises(ExportError) as err:
        export_platform(load_platform(path), "demo", GitopsTool.argocd, tmp_path / "out", git_url=GIT_URL)
    assert "viewer" in err.value.message and err.value.where is not None


def test_instances_prefix_object_names_and_namespaces(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, text = run("export", "--flux", "-f", str(EXAMPLES / "dashboards" / "platform.yaml"), "-e", "demo",
                     "--instance", "lab2", "--output-dir", str(out), "--git-url", GIT_URL)  # fmt: skip
    assert code == 0, text
    release = by_kind(out, "HelmRelease")["lab2-dashboards-backend"]
    assert release["metadata"]["namespace"] == "lab2-admin"
    assert release["spec"]["targetNamespace"] == "lab2-services"
    assert {d["name"] for d in release["spec"]["dependsOn"]} == {
        f"lab2-dashboards-{n}" for n in ("mongo", "redis", "minio")
    }


def test_a_new_export_replaces_the_old_one_and_keeps_other_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.yaml").write_text("# Generated by `helmdeck export`; edit the platform file and export again.\n")
    (out / "mine.yaml").write_text("kind: Thing\n")
    export_platform(
        load_platform(EXAMPLES / "imaging" / "platform.yaml"), "demo", GitopsTool.flux, out, git_url=GIT_URL
    )
    assert not (out / "stale.yaml").exists()
    assert (out / "mine.yaml").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--flux", "--argocd"], "choose one GitOps tool"),
        ([], "no GitOps tool chosen"),
        (["--flux", "--auto-sync"], "Argo CD options"),
        (["--flux", "-e", "prodd"], "did you mean 'prod'?"),
        (["--flux", "-e", "demo", "--set", "nosuch.replicas=2"], "'nosuch' is neither `global` nor a component"),
    ],
)
def test_bad_input_is_a_clear_error_in_json_too(tmp_path: Path, args: list[str], expected: str) -> None:
    platform = EXAMPLES / "imaging" / "platform.yaml"
    argv = [
        "export",
        "-f",
        str(platform),
        "--output-dir",
        str(tmp_path / "out"),
        "--git-url",
        GIT_URL,
        *args,
        "-o",
        "json",
    ]
    done = subprocess.run(
        [sys.executable, "-m", "helmdeck.cli.main", *argv], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1, done.stderr
    error = json.loads(done.stdout)
    assert expected in error["error"] + error.get("fix", "")
    assert error.get("where")
