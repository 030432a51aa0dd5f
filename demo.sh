#!/usr/bin/env bash
# The helmdeck demo: installs what it needs, starts the sandbox cluster, deploys a reference
# platform on it and shows it healthy.
#   ./demo.sh                          the dashboards platform (environment demo)
#   ./demo.sh --platform imaging       the medical-imaging platform (admin + platform charts, extensions)
#   ./demo.sh --platform archive       the dataset archive (Redis subchart, per-worker Services, CronJob)
#   ./demo.sh [--platform P] --down    stop that demo's sandbox
# Each platform gets a sandbox of its own (helmdeck-demo-P): the references share namespace names.
set -euo pipefail
cd "$(dirname "$0")"

platform=dashboards
while [[ $# -gt 0 ]]; do
  case $1 in
    --platform) platform=${2:?--platform needs dashboards, imaging or archive}; shift 2 ;;
    --platform=*) platform=${1#--platform=}; shift ;;
    --down) down=1; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case $platform in
  dashboards|imaging|archive) ;;
  *) echo "demo.sh: --platform takes dashboards, imaging or archive, not '$platform'" >&2; exit 2 ;;
esac
sandbox=helmdeck-demo-$platform
if [[ ${down:-0} == 1 ]]; then
  scripts/setup.sh >/dev/null
  exec .venv/bin/helmdeck sandbox down --name "$sandbox"
fi

scripts/setup.sh
hd=.venv/bin/helmdeck
file=examples/$platform/platform.yaml

if [[ $platform == archive && ! -f examples/archive/secrets.yaml ]]; then
  # the archive needs an operator-supplied secrets file; the demo makes one with random values
  .venv/bin/python - <<'EOF'
import secrets, pathlib
token = lambda n=24: secrets.token_urlsafe(n)
path = pathlib.Path("examples/archive/secrets.yaml")
path.write_text(
    "secrets:\n"
    f"  jwtSecret: {token(32)!r}\n"
    f"  mongoUri: 'mongodb://archive:{token()}@mongo.demo.svc:27017/archive'\n"
    f"  s3AccessKey: {token(12)!r}\n"
    f"  s3SecretKey: {token()!r}\n"
)
path.chmod(0o600)
print(f"demo: wrote {path} with random values (git ignores it)")
EOF
fi

echo "== sandbox"
kubeconfig=$($hd sandbox up --name "$sandbox" --gpu-node)
export KUBECONFIG=$kubeconfig
echo
echo "== plan ($file, environment demo)"
$hd plan -f "$file" -e demo --no-diff || [[ $? == 2 ]]
echo
echo "== deploy"
$hd deploy -f "$file" -e demo
echo
echo "== status"
$hd status -f "$file"
echo
echo "The sandbox keeps running. Try:"
echo "  export KUBECONFIG=$kubeconfig"
echo "  $hd status -f $file; $hd history -f $file; $hd undeploy -f $file"
echo "  ./demo.sh --platform $platform --down      # stop the sandbox"
