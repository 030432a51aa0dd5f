"""The shapes of names in a platform file, with a plain-words description for error messages."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class NameRule:
    pattern: str
    description: str
    max_length: int

    def matches(self, value: str) -> bool:
        return len(value) <= self.max_length and re.fullmatch(self.pattern, value) is not None


DNS_LABEL = NameRule(
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?",
    "lowercase letters, digits and '-', starting and ending with a letter or digit (a DNS label)",
    63,
)
INSTANCE = NameRule(DNS_LABEL.pattern, DNS_LABEL.description, 20)
ENVIRONMENT = NameRule(
    r"[A-Za-z0-9]([-_A-Za-z0-9]*)?",
    "letters, digits, '-' and '_', starting with a letter or digit",
    63,
)
# A secret's name is also its key inside the Kubernetes Secret that stores it.
SECRET = NameRule(
    r"[A-Za-z0-9]([-._A-Za-z0-9]*)?",
    "letters, digits, '-', '.' and '_', starting with a letter or digit",
    253,
)
ENV_VAR = NameRule(r"[A-Za-z_][A-Za-z0-9_]*", "an environment variable name (letters, digits, '_')", 255)

# Helm stores a release in a Secret named sh.helm.release.v1.<name>.v<revision>; it caps names at 53.
RELEASE_NAME_MAX = 53

RULES_BY_PATTERN = {f"^{rule.pattern}$": rule for rule in (DNS_LABEL, INSTANCE, ENVIRONMENT, SECRET, ENV_VAR)}
