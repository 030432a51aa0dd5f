"""Write bench_scale's platform of N components to a directory (and, given a kubeconfig, give the
cluster the Service addresses a platform over 200 needs), without deploying or measuring anything:
for iterating on one command against a platform deployed once.

    .venv/bin/python -m bench.scale_platform DIR [--count 1000] [--kubeconfig PATH]

Prints the platform file's path and the simulated nodes its pods need (`helmdeck sandbox up --nodes`).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from bench.bench_helmfile import layered, write_charts, write_helmdeck, write_values
from bench.bench_scale import LAYERS, more_service_addresses


def nodes_for(count: int) -> int:
    """Simulated nodes for ``count`` pods with room to spare (a kwok node takes 110)."""
    return max(4, math.ceil(count * 1.2 / 110) + 1)


def write_platform_files(directory: Path, count: int) -> Path:
    components = layered(count, LAYERS)
    directory.mkdir(parents=True, exist_ok=True)
    write_values(directory, components)
    charts = write_charts(directory, components, shared=False)
    return write_helmdeck(directory, components, charts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", type=Path, help="an empty or new directory")
    parser.add_argument("--count", type=int, default=1000, help="components")
    parser.add_argument("--kubeconfig", help="add the ServiceCIDR a platform over 200 components needs")
    args = parser.parse_args()
    platform = write_platform_files(args.directory, args.count)
    if args.kubeconfig and args.count > 200:
        more_service_addresses(args.kubeconfig)
    print(platform)
    print(f"nodes: {nodes_for(args.count)}")


if __name__ == "__main__":
    main()
