"""The CPU a local sandbox's control plane spends (its kube-apiserver, etcd, controllers, scheduler
and kwok), read from /proc: what a benchmark's command costs the cluster on the same cores.

A sandbox's processes run from ``<cluster directory>/bin/``, the directory its kubeconfig is in; a
cluster elsewhere has none here, and then nothing is measured (None).
"""

from __future__ import annotations

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def control_plane_cpu(kubeconfig: str) -> float | None:
    """CPU seconds (user and system) the control plane's processes have used so far."""
    binaries = str(Path(kubeconfig).resolve().parent / "bin") + os.sep
    total, found = 0.0, False
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            program = (entry / "cmdline").read_bytes().split(b"\0", 1)[0].decode()
            if not program.startswith(binaries):
                continue
            # fields after the command name: utime and stime are the 12th and 13th
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, UnicodeDecodeError, IndexError):
            continue  # gone meanwhile, or not ours to read
        total += (int(fields[11]) + int(fields[12])) / _TICKS
        found = True
    return total if found else None
