"""Reading Helm's template error text, so users get chart, template file and line.

Helm words template failures in several ways (as of Helm 4.2)::

    parse error at (mychart/templates/x.yaml:3): unclosed action
    execution error at (mychart/templates/x.yaml:3:6): image.tag is required
    template: mychart/templates/x.yaml:2:24: executing "mychart/templates/x.yaml" at <div 0>: ...
    mychart/templates/x.yaml:2:6
      executing "mychart/templates/x.yaml" at <include "h" .>:
        error calling include:
    mychart/templates/_helpers.tpl:2:10
      executing "h" at <.Values.a.b>:
        nil pointer evaluating interface {}.b

An error inside an ``include`` names every template on the way; the first is the manifest being
rendered and the last is where the problem really is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from helmdeck.errors import ConfigError

# A location counts only where Helm puts one: at the start of a line, after "(" or "template: ";
# a location inside the reason ("unclosed action started at x.yaml:2") does not.
_LOCATION = re.compile(
    r"(?:^|\n|\(|template: )[ \t]*"
    r"(?P<path>[A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-]+)*/templates/[^\s:()\"]+)"
    r":(?P<line>\d+)(?::(?P<column>\d+))?"
)
_EXECUTING = re.compile(r'executing "[^"]*" at <(?P<expr>.*?)>:\s*', re.DOTALL)
_PREFIX = re.compile(r"^(?:template: |(?:parse|execution) error at \()")


@dataclass(frozen=True)
class TemplateLocation:
    path: str
    line: int
    column: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" + (f":{self.column}" if self.column else "")


@dataclass(frozen=True)
class TemplateFailure:
    """A parsed template error: the template being rendered, the innermost location, the reason."""

    locations: tuple[TemplateLocation, ...]
    reason: str

    @property
    def template(self) -> TemplateLocation | None:
        """The manifest template being rendered (the outermost location)."""
        return self.locations[0] if self.locations else None

    @property
    def origin(self) -> TemplateLocation | None:
        """Where the failure really is, e.g. inside a helper that the template includes."""
        return self.locations[-1] if self.locations else None


def _reason(text: str, last_location_end: int) -> str:
    tail = text[last_location_end:]
    expressions = [m.group("expr") for m in _EXECUTING.finditer(tail)]
    tail = _EXECUTING.sub("", tail).lstrip(" ):")
    # Helm separates nested errors with "error calling include:"; the last part is the cause.
    reason = " ".join(tail.rsplit("error calling include:", 1)[-1].split())
    if expressions and "nil pointer evaluating" in reason:
        return f"{expressions[-1]} cannot be read because a map on its path is not set ({reason})"
    return reason or " ".join(text.split())


def parse_template_error(text: str) -> TemplateFailure:
    """Split Helm's template error text into locations and a one-line reason."""
    text = _PREFIX.sub("", text.strip())
    locations: list[TemplateLocation] = []
    last_end = 0
    for match in _LOCATION.finditer(text):
        column = match.group("column")
        location = TemplateLocation(match.group("path"), int(match.group("line")), int(column) if column else None)
        if not locations or locations[-1] != location:
            locations.append(location)
        last_end = match.end()
    if not locations:
        return TemplateFailure((), " ".join(text.split()))
    return TemplateFailure(tuple(locations), _reason(text, last_end))


def template_error(
    text: str,
    *,
    chart: str,
    component: str | None = None,
    values_files: Sequence[str] = (),
) -> ConfigError:
    """A ConfigError for a failed render naming the chart, template file and line, and values files."""
    failure = parse_template_error(text)
    owner = f"component {component} (chart {chart})" if component else f"chart {chart}"
    template, origin = failure.template, failure.origin
    if template is None or origin is None:
        message = f"{owner} failed to render: {failure.reason}"
        where = None
    elif template == origin:
        message = f"{owner}: template {template.path} line {template.line}: {failure.reason}"
        where = str(template)
    else:
        message = (
            f"{owner}: template {template.path} line {template.line}, in {origin.path} "
            f"line {origin.line}: {failure.reason}"
        )
        where = str(origin)
    fix = "check the values the template uses at that line"
    if values_files:
        fix += f" (values files: {', '.join(values_files)})"
    else:
        fix += " (only the chart's defaults and inline values were given)"
    return ConfigError(
        message,
        where=where,
        fix=fix,
        details={
            "chart": chart,
            "component": component,
            "template": template.path if template else None,
            "line": template.line if template else None,
            "origin": str(origin) if origin else None,
            "reason": failure.reason,
            "valuesFiles": list(values_files),
        },
    )
