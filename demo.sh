#!/usr/bin/env bash
# The helmdeck demo: installs what it needs, starts the sandbox cluster, deploys a reference
# platform on it and shows it healthy.
#   ./demo.sh                 the dashboards platform (environment demo)
#   ./demo.sh --down          stop the demo sandbox again
set -euo pipefail
cd "$(dirname "$0")"
name=helmdeck-demo
if [[ ${1:-} == --down ]]; then
  exec .venv/bin/helmdeck sandbox down --name "$name"
fi
scripts/setup.sh
hd=.venv/bin/helmdeck
kubeconfig=$($hd sandbox up --name "$name" --gpu-node)
export KUBECONFIG=$kubeconfig
echo
echo "== installing the sample chart examples/charts/hello"
"$(tools/build.sh --print-dirs helm | awk '{print $2}')/helm" upgrade --install hello examples/charts/hello \
  --namespace demo --create-namespace --wait --timeout 120s
echo
echo "== pods"
"$(tools/build.sh --print-dirs kube | awk '{print $2}')/kubectl" get pods -n demo -o wide
echo
echo "The sandbox keeps running: export KUBECONFIG=$kubeconfig   (stop it with ./demo.sh --down)"
