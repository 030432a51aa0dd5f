"""The missing-CRD hint names the project that provides a kind, from the providers table."""

from helmdeck.doctor.rules.providers import install_hint, provider_for


def test_a_group_one_project_owns_names_it_for_any_kind() -> None:
    assert install_hint("kafka.strimzi.io", "KafkaTopic") == (
        "Strimzi (Kafka operator) provides it (Helm chart oci://quay.io/strimzi-helm/strimzi-kafka-operator)"
    )
    assert install_hint("acme.cert-manager.io", "Order").startswith("cert-manager provides it")


def test_a_shared_group_is_told_apart_by_kind() -> None:
    def named(group: str, kind: str) -> str | None:
        provider = provider_for(group, kind)
        return provider.name if provider else None

    assert named("argoproj.io", "CronWorkflow") == "Argo Workflows"
    assert named("argoproj.io", "AppProject") == "Argo CD"
    assert named("argoproj.io", "Rollout") is None
    assert named("nvidia.com", "ClusterPolicy") == "the NVIDIA GPU Operator"


def test_a_folded_install_text_reads_as_one_line() -> None:
    assert install_hint("monitoring.coreos.com", "ServiceMonitor") == (
        "the Prometheus Operator provides it (Helm chart prometheus-community/kube-prometheus-stack, or "
        "prometheus-community/prometheus-operator-crds for the CRDs alone)"
    )


def test_an_unknown_group_gets_a_generic_hint() -> None:
    assert install_hint("example.org", "Widget") == (
        "the operator or chart that defines the example.org API group provides it"
    )
