"""Where helmdeck keeps a platform's local state: uploaded extension charts, and the web service's
tokens and audit log.

``$HELMDECK_STATE_DIR`` when set, else ``$XDG_STATE_HOME/helmdeck/<platform>`` (by default
``~/.local/state/helmdeck/<platform>``); in the cluster the chart mounts a volume there.
"""

from __future__ import annotations

import os
from pathlib import Path

UPLOADS = "extensions"


def default_state_dir(platform_id: str) -> Path:
    if os.environ.get("HELMDECK_STATE_DIR"):
        return Path(os.environ["HELMDECK_STATE_DIR"])
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "helmdeck" / platform_id


def upload_dir(state_dir: Path) -> Path:
    """The upload catalog: accepted extension charts, one directory per name and version."""
    return state_dir / UPLOADS
