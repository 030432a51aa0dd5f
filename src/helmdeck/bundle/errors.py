"""The error a bad or tampered bundle raises: every problem found, each naming the file at fault."""

from __future__ import annotations

from dataclasses import dataclass

from helmdeck.errors import ConfigError
from helmdeck.serialize import JsonObject


@dataclass(frozen=True)
class BundleProblem(JsonObject):
    """One thing wrong with a bundle: the file (path inside the bundle) and what is wrong with it."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class BundleError(ConfigError):
    """A bundle that cannot be trusted or used; ``problems`` names every file that differs."""

    problems: list[BundleProblem]

    def __init__(self, bundle: str, problems: list[BundleProblem], *, fix: str | None = None) -> None:
        first = problems[0]
        message = (
            str(first) if len(problems) == 1 else f"{len(problems)} problems: " + "; ".join(str(p) for p in problems)
        )
        super().__init__(
            message,
            where=bundle,
            fix=fix or "rebuild the bundle with `helmdeck bundle --out-file FILE`, or copy it again from its source",
            details={"problems": [p.as_dict() for p in problems]},
        )
        self.problems = problems
