"""Kubeconfig resolution and the errors users see when the cluster cannot be used (no cluster needed)."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest

from helmdeck.cluster.client import ServerVersion, make_client, resolve_kubeconfig
from helmdeck.cluster.lease import default_holder, lease_info, lease_name, micro_time
from helmdeck.cluster.objects import ObjRef
from helmdeck.errors import ClusterError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_kubeconfig(path: Path, server: str) -> Path:
    path.write_text(
        f"""apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {{server: "{server}"}}
contexts:
- name: ctx
  context: {{cluster: c, user: u, namespace: services}}
current-context: ctx
users:
- name: u
  user: {{token: not-a-secret}}
"""
    )
    return path


def test_missing_kubeconfig_names_the_file_and_fix(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ClusterError) as info:
        make_client(str(missing))
    assert str(missing) in info.value.message
    assert info.value.fix and "--kubeconfig" in info.value.fix


def test_no_kubeconfig_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(ClusterError, match="no kubeconfig found"):
        resolve_kubeconfig(None)


def test_kubeconfig_env_list_takes_first_existing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = write_kubeconfig(tmp_path / "real", "https://127.0.0.1:6443")
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path / 'absent'}:{real}")
    assert resolve_kubeconfig(None) == real


def test_unknown_context_lists_the_known_ones(tmp_path: Path) -> None:
    path = write_kubeconfig(tmp_path / "kc", "https://127.0.0.1:6443")
    with pytest.raises(ClusterError, match=r"context 'prod' is not in the kubeconfig \(contexts: ctx\)"):
        make_client(str(path), "prod")


def test_invalid_kubeconfig(tmp_path: Path) -> None:
    path = tmp_path / "kc"
    path.write_text("clusters: [unbalanced")
    with pytest.raises(ClusterError, match="kubeconfig cannot be read") as info:
        make_client(str(path))
    assert info.value.where == str(path)


def test_unreachable_cluster_names_the_server(tmp_path: Path) -> None:
    server = f"http://127.0.0.1:{free_port()}"
    path = write_kubeconfig(tmp_path / "kc", server)
    with pytest.raises(ClusterError) as info:
        make_client(str(path), timeout=2)
    assert server in info.value.message
    assert info.value.fix and "helmdeck sandbox up" in info.value.fix
    assert "context ctx" in (info.value.where or "")


def test_client_without_check_uses_context_namespace(tmp_path: Path) -> None:
    path = write_kubeconfig(tmp_path / "kc", "http://127.0.0.1:1")
    client = make_client(str(path), check=False)
    assert client.namespace == "services"
    client.close()


def test_server_version_semver() -> None:
    assert ServerVersion(1, 35, "v1.35.4", "linux/amd64").semver == "1.35.4"
    assert ServerVersion(1, 30, "v1.30.2+k3s1", "linux/amd64").semver == "1.30.2"
    assert ServerVersion(1, 29, "", "").semver == "1.29.0"


def test_objref_from_manifest() -> None:
    doc = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "backend"}}
    ref = ObjRef.from_manifest(doc, "services")
    assert ref == ObjRef("apps/v1", "Deployment", "backend", "services")
    assert (ref.group, ref.group_kind, str(ref)) == ("apps", "Deployment.apps", "Deployment services/backend")
    doc["metadata"]["namespace"] = "other"  # type: ignore[index]
    assert ObjRef.from_manifest(doc, "services").namespace == "other"
    with pytest.raises(ClusterError, match=r"lacks apiVersion, kind or metadata\.name"):
        ObjRef.from_manifest({"kind": "ConfigMap", "metadata": {}})


class TestLeaseInfo:
    NOW = datetime(2024, 5, 1, 10, 0, 30, tzinfo=UTC)

    def lease(self, renew: str | None, holder: str | None = "ana@box pid 7") -> dict[str, object]:
        spec: dict[str, object] = {"leaseDurationSeconds": 30, "acquireTime": "2024-05-01T09:50:00.000000Z"}
        if holder:
            spec["holderIdentity"] = holder
        if renew:
            spec["renewTime"] = renew
        return {"metadata": {"name": "helmdeck-lock-dash", "namespace": "admin"}, "spec": spec}

    def test_live(self) -> None:
        info = lease_info(self.lease("2024-05-01T10:00:10.000000Z"), self.NOW)
        assert not info.expired
        assert not info.free
        assert info.holder == "ana@box pid 7"
        assert info.expires == datetime(2024, 5, 1, 10, 0, 40, tzinfo=UTC)

    def test_expired_after_renew_plus_duration(self) -> None:
        info = lease_info(self.lease("2024-05-01T09:59:59.000000Z"), self.NOW)
        assert info.expired and info.free

    def test_released_is_free(self) -> None:
        info = lease_info(self.lease("2024-05-01T10:00:10.000000Z", holder=None), self.NOW)
        assert info.holder is None and info.free

    def test_micro_time_round_trip(self) -> None:
        assert micro_time(self.NOW) == "2024-05-01T10:00:30.000000Z"

    def test_names(self) -> None:
        assert lease_name("dash") == "helmdeck-lock-dash"
        assert f"pid {__import__('os').getpid()}" in default_holder()
        assert "@" in default_holder()


def test_a_client_made_for_one_thread_lists_in_turn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from helmdeck.cluster import kinds
    from helmdeck.cluster.client import single_threaded

    path = write_kubeconfig(tmp_path / "config", f"https://127.0.0.1:{free_port()}")
    one = make_client(str(path), check=False, concurrent=False)
    shared = make_client(str(path), check=False)
    assert single_threaded(one) and not single_threaded(shared)
    threads: set[str] = set()

    def listed(client: object, api_version: str, kind: str, **_: object) -> list[dict[str, str]]:
        import threading

        threads.add(threading.current_thread().name)
        return []

    monkeypatch.setattr(kinds, "list_objects", listed)
    monkeypatch.setattr(kinds, "kind_info", lambda *_: None)
    queries = [kinds.ListQuery("v1", "Pod", f"ns{i}") for i in range(4)]
    assert kinds.list_each(one, queries) == [[], [], [], []]
    assert threads == {"MainThread"}  # no decoding tables prepared, no thread started
    kinds.list_each(shared, queries)
    assert any(name.startswith("list") for name in threads)
