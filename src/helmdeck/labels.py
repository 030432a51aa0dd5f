"""The labels by which helmdeck marks what it owns in a cluster. Every layer reads them (the
cluster port finds a platform's namespaces by them), so they live below all of them."""

PLATFORM_LABEL = "helmdeck.dev/platform"
COMPONENT_LABEL = "helmdeck.dev/component"
DIGEST_LABEL = "helmdeck.dev/config-digest"
ENV_LABEL = "helmdeck.dev/environment"
EXTENSION_LABEL = "helmdeck.dev/extension"
KIND_LABEL = "helmdeck.dev/kind"
REVISION_LABEL = "helmdeck.dev/revision"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
#: on what Helm's uninstall left of a platform's release (kept by ``helm.sh/resource-policy: keep``,
#: hooks its delete policy did not delete), valued with the platform id: once the release is gone,
#: it is all that still says the object is the platform's, so a later purge deletes it
LEFT_BY_HELM_LABEL = "helmdeck.dev/left-by-helm"
#: on a CustomResourceDefinition a platform's chart shipped in its crds/ (Helm never deletes
#: those), valued with the platform id: once the release is gone, it lets a later undeploy or
#: purge still report the CRD as left. Never a reason to delete it: its custom resources go with it
CRDS_OF_LABEL = "helmdeck.dev/crd-of"

# values of KIND_LABEL on helmdeck's own records in the admin namespace
REVISION_RECORD_KIND = "platform-revision"
OPERATION_RECORD_KIND = "operation"  # the web service's operation journal
