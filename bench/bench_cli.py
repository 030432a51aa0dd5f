"""CLI start-up: wall time of whole `helmdeck` processes, as an operator types them, against the helm
CLI on the same machine and cluster in the same run.

    .venv/bin/python -m bench.bench_cli [--runs 10] [--kubeconfig PATH] [--instance NAME [--no-deploy]]

* `helmdeck --version` against `helm version` (target: <= 0.15 s)
* `helmdeck --help` (and `helmdeck status --help`) against `helm --help`
* `helmdeck status` of the dashboards example platform against `helm ls -A` (target: <= 0.6 s)

Without --kubeconfig a sandbox of its own is started (and stopped unless HELMDECK_KEEP_SANDBOX=1).
The platform is deployed as instance "bench-cli" (--instance) and removed again unless --keep;
with --no-deploy the instance is one already deployed (e.g. `helmdeck deploy -f
examples/dashboards/platform.yaml -e demo --instance NAME`) and is left as it is.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, bench_sandbox, helm_binary

PLATFORM = ROOT / "examples" / "dashboards" / "platform.yaml"
INSTANCE = "bench-cli"
# the console script operators run (python -m adds the runpy machinery on top)
_SCRIPT = Path(sys.executable).parent / "helmdeck"
HELMDECK = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "helmdeck.cli.main"]


def wall(cmd: list[str], runs: int, env: dict[str, str]) -> float:
    """Median wall time of ``runs`` fresh processes (one untimed first run warms the file cache)."""
    subprocess.run(cmd, capture_output=True, env=env, check=False)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, env=env, check=False)
        samples.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return statistics.median(samples)


def deploy(kubeconfig: str, instance: str) -> None:
    from helmdeck.core.session import PlatformSession
    from helmdeck.deploy.executor import Deployer

    session = PlatformSession(PLATFORM, environment="demo", kubeconfig=kubeconfig, instance=instance)
    report = Deployer(session, preflight=False).run()
    if not report.ok:
        raise SystemExit(f"the dashboards platform did not deploy: {report.as_dict()}")


def undeploy(kubeconfig: str, instance: str) -> None:
    from helmdeck.core.session import PlatformSession
    from helmdeck.deploy.undeploy import Undeployer

    Undeployer(PlatformSession(PLATFORM, kubeconfig=kubeconfig, instance=instance), purge_data=True).run()


def line(name: str, seconds: float, baseline: tuple[str, float] | None = None, target: float | None = None) -> str:
    text = f"{name:<28} {seconds * 1000:7.0f} ms"
    if baseline is not None:
        text += f"   {baseline[0]} {baseline[1] * 1000:6.0f} ms   ratio {seconds / baseline[1]:5.2f}x"
    if target is not None:
        text += f"   target <= {target * 1000:.0f} ms: {'met' if seconds <= target else 'MISSED'}"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--kubeconfig", help="use this cluster instead of starting a sandbox")
    parser.add_argument("--instance", default=INSTANCE, help="the instance of the dashboards platform to ask")
    parser.add_argument("--keep", action="store_true", help="leave the platform deployed")
    parser.add_argument(
        "--no-deploy", action="store_true", help="the instance is deployed already: neither deploy nor remove it"
    )
    args = parser.parse_args()
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    helm = helm_binary()
    version = wall([*HELMDECK, "--version"], args.runs, env)
    helm_version = wall([helm, "version"], args.runs, env)
    helptext = wall([*HELMDECK, "--help"], args.runs, env)
    status_help = wall([*HELMDECK, "status", "--help"], args.runs, env)
    helm_help = wall([helm, "--help"], args.runs, env)
    print(line("helmdeck --version", version, ("helm version", helm_version), 0.15))
    print(line("helmdeck --help", helptext, ("helm --help ", helm_help)))
    print(line("helmdeck status --help", status_help, ("helm --help ", helm_help)))

    def with_cluster(kubeconfig: str) -> None:
        if not args.no_deploy:
            deploy(kubeconfig, args.instance)
        try:
            status_cmd = [*HELMDECK, "status", "-f", str(PLATFORM), "--instance", args.instance]
            status = wall([*status_cmd, "--kubeconfig", kubeconfig], args.runs, env)
            helm_ls = wall([helm, "ls", "-A", "--kubeconfig", kubeconfig], args.runs, env)
            print(line("helmdeck status (dashboards)", status, ("helm ls -A  ", helm_ls), 0.6))
        finally:
            if not (args.keep or args.no_deploy):
                undeploy(kubeconfig, args.instance)

    if args.kubeconfig:
        with_cluster(str(Path(args.kubeconfig).expanduser()))
    else:
        with bench_sandbox("helmdeck-bench") as kubeconfig:
            with_cluster(kubeconfig)


if __name__ == "__main__":
    main()
