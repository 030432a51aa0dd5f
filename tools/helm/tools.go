//go:build tools

// Package tools pins the helm CLI, the same Helm version helm-python-sdk embeds, for
// interoperability tests and the benchmarks' baselines.
package tools

import _ "helm.sh/helm/v4/cmd/helm"
