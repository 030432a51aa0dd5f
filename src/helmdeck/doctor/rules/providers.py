"""Which operator or chart provides a custom resource kind, for the hint of a missing-CRD finding.

A small table of kinds research platforms commonly use; groups that belong to one project wholly
are matched by group, so a kind not listed here still gets its project named.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Provider:
    name: str  # the operator or project
    install: str  # how it is usually installed

    def hint(self) -> str:
        return f"{self.name} provides it ({self.install})"


_MONGODB_COMMUNITY = Provider(
    "the MongoDB Community Operator",
    "Helm chart mongodb/community-operator from https://mongodb.github.io/helm-charts",
)
_CERT_MANAGER = Provider("cert-manager", "Helm chart jetstack/cert-manager with crds.enabled=true")
_PROMETHEUS_OPERATOR = Provider(
    "the Prometheus Operator",
    "Helm chart prometheus-community/kube-prometheus-stack, or prometheus-community/prometheus-operator-crds "
    "for the CRDs alone",
)
_STRIMZI = Provider("Strimzi (Kafka operator)", "Helm chart oci://quay.io/strimzi-helm/strimzi-kafka-operator")
_CNPG = Provider("CloudNativePG", "Helm chart cnpg/cloudnative-pg")
_ZALANDO_PG = Provider("the Zalando Postgres Operator", "Helm chart postgres-operator-charts/postgres-operator")
_RABBITMQ = Provider("the RabbitMQ Cluster Operator", "Helm chart bitnami/rabbitmq-cluster-operator")
_MINIO = Provider("the MinIO Operator", "Helm chart minio-operator/operator")
_ECK = Provider("Elastic Cloud on Kubernetes (ECK)", "Helm chart elastic/eck-operator")
_GATEWAY_API = Provider(
    "the Gateway API CRDs", "kubectl apply -f the standard-install.yaml of kubernetes-sigs/gateway-api"
)
_ISTIO = Provider("Istio", "Helm charts istio/base and istio/istiod")
_TRAEFIK = Provider("Traefik", "Helm chart traefik/traefik")
_EXTERNAL_SECRETS = Provider("External Secrets Operator", "Helm chart external-secrets/external-secrets")
_SEALED_SECRETS = Provider("Sealed Secrets", "Helm chart sealed-secrets/sealed-secrets")
_KEDA = Provider("KEDA", "Helm chart kedacore/keda")
_ARGO_WORKFLOWS = Provider("Argo Workflows", "Helm chart argo/argo-workflows")
_ARGO_CD = Provider("Argo CD", "Helm chart argo/argo-cd")
_KUBERAY = Provider("KubeRay", "Helm chart kuberay/kuberay-operator")
_SPARK = Provider("the Spark Operator", "Helm chart spark-operator/spark-operator")
_SNAPSHOTTER = Provider(
    "the CSI external-snapshotter", "the snapshot CRDs and controller of kubernetes-csi/external-snapshotter"
)
_VPA = Provider("the Vertical Pod Autoscaler", "Helm chart fairwinds-stable/vpa")
_GPU_OPERATOR = Provider("the NVIDIA GPU Operator", "Helm chart nvidia/gpu-operator")
_PERCONA_MONGO = Provider("the Percona Operator for MongoDB", "Helm chart percona/psmdb-operator")
_GRAFANA = Provider("the Grafana Operator", "Helm chart oci://ghcr.io/grafana/helm-charts/grafana-operator")
_VELERO = Provider("Velero", "Helm chart vmware-tanzu/velero")

#: (group, kind) -> provider, for kinds whose group is shared or ambiguous.
KINDS: dict[tuple[str, str], Provider] = {
    ("mongodbcommunity.mongodb.com", "MongoDBCommunity"): _MONGODB_COMMUNITY,
    ("cert-manager.io", "Certificate"): _CERT_MANAGER,
    ("cert-manager.io", "Issuer"): _CERT_MANAGER,
    ("cert-manager.io", "ClusterIssuer"): _CERT_MANAGER,
    ("monitoring.coreos.com", "ServiceMonitor"): _PROMETHEUS_OPERATOR,
    ("monitoring.coreos.com", "PodMonitor"): _PROMETHEUS_OPERATOR,
    ("monitoring.coreos.com", "PrometheusRule"): _PROMETHEUS_OPERATOR,
    ("argoproj.io", "Workflow"): _ARGO_WORKFLOWS,
    ("argoproj.io", "WorkflowTemplate"): _ARGO_WORKFLOWS,
    ("argoproj.io", "CronWorkflow"): _ARGO_WORKFLOWS,
    ("argoproj.io", "Application"): _ARGO_CD,
    ("argoproj.io", "AppProject"): _ARGO_CD,
    ("nvidia.com", "ClusterPolicy"): _GPU_OPERATOR,
}

#: group -> provider, for groups that belong to one project.
GROUPS: dict[str, Provider] = {
    "mongodbcommunity.mongodb.com": _MONGODB_COMMUNITY,
    "cert-manager.io": _CERT_MANAGER,
    "acme.cert-manager.io": _CERT_MANAGER,
    "monitoring.coreos.com": _PROMETHEUS_OPERATOR,
    "kafka.strimzi.io": _STRIMZI,
    "postgresql.cnpg.io": _CNPG,
    "acid.zalan.do": _ZALANDO_PG,
    "rabbitmq.com": _RABBITMQ,
    "minio.min.io": _MINIO,
    "elasticsearch.k8s.elastic.co": _ECK,
    "kibana.k8s.elastic.co": _ECK,
    "gateway.networking.k8s.io": _GATEWAY_API,
    "networking.istio.io": _ISTIO,
    "security.istio.io": _ISTIO,
    "traefik.io": _TRAEFIK,
    "traefik.containo.us": _TRAEFIK,
    "external-secrets.io": _EXTERNAL_SECRETS,
    "bitnami.com": _SEALED_SECRETS,
    "keda.sh": _KEDA,
    "ray.io": _KUBERAY,
    "sparkoperator.k8s.io": _SPARK,
    "snapshot.storage.k8s.io": _SNAPSHOTTER,
    "autoscaling.k8s.io": _VPA,
    "psmdb.percona.com": _PERCONA_MONGO,
    "grafana.integreatly.org": _GRAFANA,
    "velero.io": _VELERO,
}


def provider_for(group: str, kind: str) -> Provider | None:
    return KINDS.get((group, kind)) or GROUPS.get(group)


def install_hint(group: str, kind: str) -> str:
    """``the MongoDB Community Operator provides it (Helm chart ...)``, or a generic hint."""
    provider = provider_for(group, kind)
    if provider is not None:
        return provider.hint()
    return f"the operator or chart that defines the {group} API group provides it"
