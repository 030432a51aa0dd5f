"""What client libraries say on their own is for ``--debug``: without it a user reads helmdeck's
words only, never a library's log record ("watch ended with error" from a watch whose cluster went
away), a Python warning raised inside a dependency (deprecations, shown under ``python -W default``
or ``PYTHONWARNINGS``), or a line the Go engine's Kubernetes client (klog) writes.

helmdeck reports what matters itself (the error, the finding, the unhealthy component); the
libraries' own lines repeat it in their terms, or are noise a user cannot act on."""

from __future__ import annotations

import logging
import warnings

OWN_LOGGER = "helmdeck"

_debug = False


def quiet_libraries(*, debug: bool) -> None:
    """Before anything is imported that might warn: with ``debug`` the libraries' warnings become
    log records shown with the rest, else they are ignored."""
    global _debug
    _debug = debug
    if debug:
        logging.captureWarnings(True)
    else:
        warnings.simplefilter("ignore")


class OwnRecordsOnly(logging.Filter):
    """On the console's log handler: helmdeck's own records, and everyone's under ``--debug``."""

    def filter(self, record: logging.LogRecord) -> bool:
        return _debug or record.name == OWN_LOGGER or record.name.startswith(OWN_LOGGER + ".")
