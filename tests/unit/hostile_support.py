"""The hostile-chart corpus (tests/hostile) and the low limits its tests run under, so each case
ends in a second or two instead of the production defaults' minute and 3 GiB."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

HOSTILE = Path(__file__).resolve().parents[1] / "hostile"
GOOD = Path(__file__).resolve().parents[2] / "examples" / "charts" / "hello"

LOW_LIMITS = {
    "HELMDECK_RENDER_MEMORY_MIB": "2304",
    "HELMDECK_RENDER_TIMEOUT_SECONDS": "20",
    "HELMDECK_RENDER_MAX_OUTPUT_MIB": "8",
    "HELMDECK_RELEASE_MEMORY_MIB": "2304",
    "HELMDECK_RELEASE_TIMEOUT_SECONDS": "40",
}

#: chart -> what the error says (templates evaluated: a crash, an overrun; YAML: refused before Helm)
EXPECTED = {
    "recursive-tpl": "template evaluation crashed: stack overflow in tpl",
    "render-loop": "template evaluation exceeded 2304 MiB in until; until is called in render-loop/templates/cm.yaml",
    "huge-output": "rendered output is 26 MiB, more than 8 MiB (largest: huge-output/templates/cm.yaml)",
    "alias-bomb": "its aliases expand to more than 500,000 values",
    "alias-strings": "its aliases expand to more than 64 MiB of text",
    "deep-nesting": "values nested more than 100 levels deep",
}
# slow-loop (nested ranges: time, not memory) is left to a test with a 0.5 s limit


def chart_tgz(chart: Path, *, annotations: dict[str, str] | None = None) -> bytes:
    """The chart directory as a ``helm package`` archive (``Chart.yaml`` given ``annotations``)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for path in sorted(chart.rglob("*")):
            if not path.is_file():
                continue
            data = path.read_bytes()
            if path.name == "Chart.yaml" and path.parent == chart and annotations:
                data += b"annotations:\n" + b"".join(f"  {k}: {v!r}\n".encode() for k, v in annotations.items())
            info = tarfile.TarInfo(f"{chart.name}/{path.relative_to(chart)}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()
