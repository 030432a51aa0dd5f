"""validate + render of a 50-component platform, against `helm template` once per component.

Both sides render the same charts with the same values; the baseline runs the helm CLI (the same
Helm version helmdeck embeds) once per component, as a deploy script would. Prints the ratio.
Target: helmdeck 5x faster or better.

    .venv/bin/python -m bench.bench_render [--components 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import yaml

from bench.common import helm_binary, mixed_components, run, summary, timed, write_platform
from helmdeck.core.session import PlatformSession
from helmdeck.engine import charts
from helmdeck.secrets.store import placeholder_secrets
from helmdeck.spec import load_platform
from helmdeck.validation import validate_platform


def helmdeck_validate(path: Path) -> int:
    # a fresh process starts with an empty chart cache: so does every round
    charts._default_cache.clear()
    session = PlatformSession(path)
    report = validate_platform(session)
    assert report.ok, report.errors
    return len(report.rendered)


def timed_baseline(path: Path, workdir: Path) -> float:
    """Seconds for the helm CLI loop alone (values files are written before the clock starts)."""
    jobs = baseline_jobs(path, workdir)
    helm = helm_binary()

    def loop() -> None:
        for release, chart, namespace, values_file in jobs:
            run([helm, "template", release, chart, "-n", namespace, "-f", values_file])

    seconds, _ = timed(loop)
    return seconds


def baseline_jobs(path: Path, workdir: Path) -> list[tuple[str, str, str, str]]:
    platform = load_platform(path)
    session = PlatformSession(platform=platform)
    secrets = placeholder_secrets(platform)
    jobs = []
    for name in platform.component_names:  # values computed outside the timed loop
        d = session.desired_one(name, secrets)
        values = workdir / f"{name}.values.yaml"
        values.write_text(yaml.safe_dump(d.values))
        jobs.append((d.release, str(d.chart.path), d.namespace, str(values)))
    return jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--components", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        path = write_platform(workdir, "bench", mixed_components(args.components))
        ours: list[float] = []
        theirs: list[float] = []
        for _ in range(args.rounds):
            seconds, count = timed(lambda: helmdeck_validate(path))
            assert count == args.components
            ours.append(seconds)
            theirs.append(timed_baseline(path, workdir))
    ratio = sorted(theirs)[len(theirs) // 2] / sorted(ours)[len(ours) // 2]
    print(f"components: {args.components}")
    print(f"helmdeck validate+render (load, values, render, checks): {summary(ours)}")
    print(f"baseline: helm template once per component:          {summary(theirs)}")
    print(f"ratio (baseline / helmdeck, medians): {ratio:.1f}x  (target >= 5x)")


if __name__ == "__main__":
    main()
