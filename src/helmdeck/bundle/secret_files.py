"""Which files a bundle must never carry: the operator's secrets.

A platform names its secrets in three ways, and a bundle leaves each file out, recording it as
required at deploy time instead:

* a secret's ``fromFile`` (always a secret);
* a values file the user marks (``helmdeck bundle --secret FILE``);
* a values file that looks like one: named like ``secrets.yaml``, ``prod.secrets.yaml``,
  ``db-credentials.yaml`` (a word of its name is secret(s), credential(s), creds, password(s) or
  token(s)), or ignored by git (``git check-ignore``), which is how a platform keeps a file out of
  version control (``examples/archive/.gitignore`` ignores ``secrets.yaml``). A tracked file is
  never ignored, so committed values files are carried.

Leaving out a file that holds no secret costs the deployer one ``--provide``; carrying one that
does would leak it to everyone the bundle is given to, so doubtful files are left out.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

SECRET_WORDS = frozenset(
    {"secret", "secrets", "credential", "credentials", "creds", "password", "passwords", "token", "tokens"}
)
_SEPARATORS = re.compile(r"[.\-_ ]+")


def named_like_secret(path: Path) -> bool:
    """True when a word of the file's name (split at ``.``, ``-``, ``_``) is a secret word."""
    return any(word.lower() in SECRET_WORDS for word in _SEPARATORS.split(path.name))


def git_ignored(path: Path) -> bool:
    """True when git would ignore ``path`` (untracked and matching an ignore rule).

    False when git is not installed or the file is not in a work tree: nothing marks it then.
    """
    git = shutil.which("git")
    if git is None:
        return False
    try:
        done = subprocess.run(
            [git, "-C", str(path.parent), "check-ignore", "--quiet", "--", path.name],
            capture_output=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def secret_reason(path: Path, marked: Iterable[Path] = ()) -> str | None:
    """Why ``path`` is treated as a secret (to leave it out of a bundle), or None to carry it."""
    resolved = path.resolve()
    if any(resolved == Path(m).resolve() for m in marked):
        return "marked as secret (--secret)"
    if named_like_secret(path):
        return "named like a secrets file"
    if git_ignored(path):
        return "ignored by git (kept out of version control)"
    return None
