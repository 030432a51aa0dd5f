"""helmdeck: deploy and operate research data platforms on Kubernetes, with Helm as the engine."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("helmdeck")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
