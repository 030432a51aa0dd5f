"""A deploy timeline as a Gantt chart in SVG, drawn on the server: no script, no style element and no
style attribute (the pages' Content-Security-Policy allows neither), only presentation attributes,
so the same document works inline in a page, as a file and as an image.

Takes the timeline's JSON (``Timeline.as_dict``), which is what the CLI, the API and the page share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from helmdeck.revisions import timeline
from helmdeck.server.svg_text import attr as _a
from helmdeck.server.svg_text import clip as _clip
from helmdeck.server.svg_text import text as _t


@dataclass(frozen=True)
class PhaseStyle:
    fill: str
    #: what the legend calls the phase
    legend: str


#: phase -> its style; readiness waits warm, helmdeck's own work cool
PHASE_STYLE: dict[str, PhaseStyle] = {
    timeline.PREFLIGHT: PhaseStyle("#c6dbef", "preflight"),
    timeline.PREPARE: PhaseStyle("#9ecae1", "lock, secrets, render"),
    timeline.FINAL_CHECK: PhaseStyle("#c6dbef", "final health check"),
    timeline.RENDER: PhaseStyle("#9ecae1", "render"),
    timeline.INSTALL: PhaseStyle("#3182bd", "Helm install/upgrade"),
    timeline.FIRST_READY: PhaseStyle("#fdae6b", "wait: first object ready"),
    timeline.LAST_READY: PhaseStyle("#e6550d", "wait: last object ready"),
    timeline.UNDO: PhaseStyle("#756bb1", "rollback"),
}
_OTHER_PHASE = "#bdbdbd"  # a phase a later helmdeck recorded
CRITICAL = "#cb181d"
LABEL_WIDTH = 190
CHART_WIDTH = 660
ROW = 18
BAR = 12
TOP = 64  # title, legend and the time axis


def timeline_svg(data: Mapping[str, Any], title: str = "") -> str:
    """The chart: a row for the platform's own phases, then one per component by start, each row's
    phases in their colours over the span of its work (grey); the critical chain outlined in red with its
    names in bold, and the floor (readiness waits along the chain) as a dashed line."""
    rows = _rows(data)
    total = max([float(data.get("seconds") or 0.0), *(end for _, _, _, end in rows), 1.0])
    scale = CHART_WIDTH / total
    height = TOP + ROW * len(rows) + 28
    width = LABEL_WIDTH + CHART_WIDTH + 20
    floor = float(data.get("floor") or 0.0)
    chain = [str(n) for n in data.get("criticalChain") or []]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11" role="img" '
        f'aria-label="{_a(title or "deploy timeline")}" data-testid="timeline-svg">',
        f"<title>{_t(title or 'deploy timeline')}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="4" y="14" font-size="13" font-weight="bold">{_t(title or "deploy timeline")}</text>',
        f'<text x="4" y="30" fill="#444444">{_t(_summary(data, chain))}</text>',
    ]
    out += _legend(y=44)
    out += _axis(total, scale, y=TOP - 4, bottom=TOP + ROW * len(rows))
    on_chain = set(chain)
    for i, (label, phases, start, end) in enumerate(rows):
        y = TOP + i * ROW
        critical = label in on_chain
        weight = ' font-weight="bold"' if critical else ""
        colour = CRITICAL if critical else "#222222"
        out.append(
            f'<g data-row="{_a(label)}" data-critical="{str(critical).lower()}">'
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR - 1}" text-anchor="end" fill="{colour}"{weight}>'
            f"{_t(_clip(label))}</text>"
        )
        x0 = LABEL_WIDTH + start * scale
        out.append(
            f'<rect x="{x0:.1f}" y="{y + 1}" width="{max(1.0, (end - start) * scale):.1f}" height="{BAR}" '
            f'fill="#eeeeee"{_outline(critical)}><title>{_t(label)}: {start:.2f}-{end:.2f} s</title></rect>'
        )
        for phase, p_start, p_end in phases:
            fill = PHASE_STYLE[phase].fill if phase in PHASE_STYLE else _OTHER_PHASE
            px = LABEL_WIDTH + p_start * scale
            out.append(
                f'<rect x="{px:.1f}" y="{y + 3}" width="{max(1.0, (p_end - p_start) * scale):.1f}" '
                f'height="{BAR - 4}" fill="{fill}" data-phase="{_a(phase)}">'
                f"<title>{_t(label)} {_t(phase)}: {p_end - p_start:.2f} s ({p_start:.2f}-{p_end:.2f} s)</title></rect>"
            )
        out.append("</g>")
    if floor > 0:
        fx = LABEL_WIDTH + floor * scale
        bottom = TOP + ROW * len(rows)
        out.append(
            f'<g data-testid="floor"><line x1="{fx:.1f}" y1="{TOP - 8}" x2="{fx:.1f}" y2="{bottom}" '
            f'stroke="{CRITICAL}" stroke-width="1" stroke-dasharray="4 3"/>'
            f'<text x="{fx + 3:.1f}" y="{bottom + 14}" fill="{CRITICAL}">floor {floor:.1f} s</text></g>'
        )
    out.append("</svg>")
    return "\n".join(out)


def timeline_html(data: Mapping[str, Any], title: str = "") -> str:
    """A standalone page holding the chart (for ``--out FILE.html``): no script, nothing fetched."""
    heading = title or "deploy timeline"
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_t(heading)}</title></head>\n<body>\n{timeline_svg(data, title)}\n</body></html>\n"
    )


Row = tuple[str, list[tuple[str, float, float]], float, float]


def _rows(data: Mapping[str, Any]) -> list[Row]:
    rows: list[Row] = []
    platform = [(str(p["phase"]), float(p["start"]), float(p["end"])) for p in data.get("platformPhases") or []]
    if platform:
        rows.append(("(platform)", platform, min(p[1] for p in platform), max(p[2] for p in platform)))
    comps = [c for c in data.get("components") or [] if c.get("start") is not None]
    for c in sorted(comps, key=lambda c: (float(c["start"]), str(c["component"]))):
        phases = [(str(p["phase"]), float(p["start"]), float(p["end"])) for p in c.get("phases") or []]
        # the grey span is the component's own work; its rendering (in the preflight) stands apart,
        # so the blank before the span is the time it waited for its needs
        rows.append((str(c["component"]), phases, float(c["start"]), float(c["end"])))
    return rows


def _summary(data: Mapping[str, Any], chain: Sequence[str]) -> str:
    seconds = float(data.get("seconds") or 0.0)
    floor = float(data.get("floor") or 0.0)
    ratio = f", {seconds / floor:.2f}x the floor" if floor > 0 else ""
    path = " > ".join(chain) if len(chain) <= 6 else " > ".join([*chain[:2], "...", *chain[-2:]])
    return f"{seconds:.1f} s in all{ratio}; critical chain ({len(chain)}): {path or '-'}"


def _legend(y: int) -> list[str]:
    out, x = [], 4
    for phase in timeline.COMPONENT_PHASES:
        style = PHASE_STYLE[phase]
        out.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{style.fill}"/>')
        out.append(f'<text x="{x + 14}" y="{y}">{_t(style.legend)}</text>')
        x += 24 + 6 * len(style.legend)
    out.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="#eeeeee"{_outline(True)}/>')
    out.append(f'<text x="{x + 14}" y="{y}" fill="{CRITICAL}">critical chain</text>')
    return out


def _axis(total: float, scale: float, y: int, bottom: int) -> list[str]:
    step = _tick(total)
    out = []
    for i in range(int(total // step) + 1):
        t = i * step
        x = LABEL_WIDTH + t * scale
        out.append(f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{bottom}" stroke="#dddddd" stroke-width="1"/>')
        out.append(f'<text x="{x:.1f}" y="{y - 2}" text-anchor="middle" fill="#666666">{t:g} s</text>')
    return out


def _tick(total: float) -> float:
    """A round step giving 4 to 10 ticks."""
    raw = total / 8
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for mult in (1, 2, 5, 10):
        if raw <= mult * power:
            return float(mult * power)
    return float(10 * power)


def _outline(critical: bool) -> str:
    return f' stroke="{CRITICAL}" stroke-width="1.5"' if critical else ""
