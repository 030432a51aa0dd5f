#!/usr/bin/env bash
# Builds the sandbox cluster's binaries from the Go modules beside this script.
#
# Each module (kube, etcd, kwok, helm) is built into its own cache directory,
#   ${HELMDECK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/helmdeck}/go-bin/<module>-<version>-<key>
# where <key> is a digest of the module's go.mod and go.sum, so a later run (or another
# checkout of the same versions) reuses what is built and a version bump builds anew.
# helmdeck.sandbox.binaries computes the same directories.
#
# Usage: tools/build.sh [--print-dirs] [module ...]
#   default: the modules the sandbox and CI need (etcd kwok helm kube); optional modules
#   (helmfile, the baseline of bench/bench_helmfile.py) are built only when named.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
cache=${HELMDECK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/helmdeck}/go-bin

print_only=0
if [[ ${1:-} == --print-dirs ]]; then print_only=1; shift; fi
modules=("$@")
default_modules=(etcd kwok helm kube)
optional_modules=(helmfile)
[[ ${#modules[@]} -gt 0 ]] || modules=("${default_modules[@]}")

fail() { echo "tools/build.sh: $*" >&2; exit 1; }

module_version() {
  case $1 in
    kube) echo "$KUBE_VERSION" ;; etcd) echo "$ETCD_VERSION" ;;
    kwok) echo "$KWOK_VERSION" ;; helm) echo "$HELM_VERSION" ;;
    helmfile) echo "$HELMFILE_VERSION" ;;
    *) fail "unknown module '$1' (known: ${default_modules[*]}; optional: ${optional_modules[*]})" ;;
  esac
}

module_dir() {
  local key
  key=$(cat "$here/$1/go.mod" "$here/$1/go.sum" | sha256sum | cut -c1-12)
  echo "$cache/$1-$(module_version "$1")-$key"
}

# package path and output name of every binary of a module
module_binaries() {
  case $1 in
    kube) printf '%s\n' k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
            k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl ;;
    etcd) echo . ;;
    kwok) printf '%s\n' sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl ;;
    helm) echo helm.sh/helm/v4/cmd/helm ;;
    helmfile) echo github.com/helmfile/helmfile ;;
  esac
}

module_ldflags() {
  local v date
  v=$(module_version "$1")
  date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  case $1 in
    kube)
      local major minor
      major=$(echo "${v#v}" | cut -d. -f1); minor=$(echo "${v#v}" | cut -d. -f2)
      local p
      for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        printf -- '-X %s.gitVersion=%s -X %s.gitMajor=%s -X %s.gitMinor=%s -X %s.gitTreeState=clean -X %s.buildDate=%s ' \
          "$p" "$v" "$p" "$major" "$p" "$minor" "$p" "$p" "$date"
      done ;;
    etcd) echo "-X go.etcd.io/etcd/api/v3/version.GitSHA=module-$v" ;;
    kwok)
      echo "-X sigs.k8s.io/kwok/pkg/consts.Version=${v#v} -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=${KUBE_VERSION#v}" ;;
    helm)
      echo "-X helm.sh/helm/v4/internal/version.version=$v -X helm.sh/helm/v4/internal/version.gitTreeState=clean" ;;
    helmfile)
      echo "-X go.szostok.io/version.version=$v -X go.szostok.io/version.buildDate=$date -X go.szostok.io/version.dirtyBuild=false" ;;
  esac
}

# an unknown module fails here, not inside the $(...) that names its directory
for m in "${modules[@]}"; do module_version "$m" >/dev/null; done

if [[ $print_only == 1 ]]; then
  for m in "${modules[@]}"; do echo "$m $(module_dir "$m")"; done
  exit 0
fi

command -v go >/dev/null 2>&1 || fail "step 'find Go': no 'go' on PATH. Install Go 1.25 or newer (Debian: golang-go is too old; use the Go toolchain) and run again."

for m in "${modules[@]}"; do
  out=$(module_dir "$m")
  if [[ -f $out/.complete ]]; then
    echo "tools/build.sh: $m $(module_version "$m") already built in $out"
    continue
  fi
  echo "tools/build.sh: building $m $(module_version "$m") into $out"
  start=$SECONDS
  tmp="$out.partial"
  rm -rf "$tmp"; mkdir -p "$tmp"
  (cd "$here/$m" && go mod download) || fail "step 'download modules' failed for module tools/$m (is the Go module proxy reachable?)"
  while read -r pkg; do
    name=$(basename "$pkg"); [[ $pkg == . ]] && name=$m
    (cd "$here/$m" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $(module_ldflags "$m")" -o "$tmp/$name" "$pkg") \
      || fail "step 'go build $pkg' failed in module tools/$m"
  done < <(module_binaries "$m")
  touch "$tmp/.complete"
  rm -rf "$out"; mv "$tmp" "$out"
  echo "tools/build.sh: built $m in $((SECONDS - start))s"
done
