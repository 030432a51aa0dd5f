"""The Helm ``Config``s a release worker keeps between writes, and when it must not.

A ``Config`` made for one write reads the kubeconfig, asks the API server for its version and every
API group (Helm's ``.Capabilities``, about 64 KB of discovery) and builds a REST mapper, then is
thrown away: measured on the sandbox, that is 40 % of a small chart's install CPU (41 ms against
25 ms with the Config kept), and at 1000 components 2000 discovery requests the API server answers.
Helm keeps the capabilities it read in the ``Config`` (``action.Configuration.Capabilities``), and
never reads them again, not even after installing a chart's own ``crds/`` into a kept one. So a kept
Config is only used while nothing can have changed the API groups the cluster serves:

* the parent numbers the cluster's API groups (:data:`GENERATION_KEY` in each write); it counts
  one on after any write that may have changed them (a chart with ``crds/``, a manifest with a
  CustomResourceDefinition or APIService, a rollback, an uninstall, a failed or killed write: see
  :func:`may_change_apis`), and a worker given a new number drops every Config it kept;
* a chart that brings its own ``crds/`` gets a fresh Config (Helm installs them, then must read
  the groups again), as does a write tried again because its CRDs were not served yet;
* a write that ``needs`` others gets a Config made after they were ready (the install's
  ``capabilities_after``): what they did meanwhile, such as an operator creating its CRDs when it
  starts, is in its ``.Capabilities`` as with a fresh Config, whatever the manifests say;
* a kept Config serves for :data:`KEEP_SECONDS` at most, so a CRD another tool installs meanwhile
  is seen as soon as it would have been by a write a few seconds later.

Writes that are not ordered by ``needs`` were never ordered against each other's CRDs either (two
concurrent installs each read the groups at their own moment), so this changes nothing a platform
can rely on. Configs are kept per cluster, credentials and namespace (Helm's release storage is the
namespace's), at most :data:`KEPT` of them.
"""

from __future__ import annotations

import json
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

#: the request key carrying the parent's number for the cluster's API groups
GENERATION_KEY = "apiGeneration"
#: the reply key saying the write may have changed them
CHANGED_KEY = "apisChanged"
#: seconds a kept Config serves at most
KEEP_SECONDS = 10.0
#: Configs kept at most (a platform's namespaces a worker writes to in turn)
KEPT = 4
#: the kinds that add API groups, named anywhere in a manifest: a template may write its objects as
#: JSON, quote or comment the kind; a false alarm costs a worker one discovery, a miss would leave a
#: later write with stale ``.Capabilities``
_API_KINDS = re.compile(r"\b(?:CustomResourceDefinition|APIService)\b")


def may_change_apis(op: str, ok: bool, chart_crds: bool, manifest: str) -> bool:
    """Whether a write may have changed the API groups the cluster serves (an uninstall's reply
    holds no manifest: what it removed is not known here)."""
    if not ok or op in ("rollback", "uninstall") or chart_crds:
        return True
    return bool(_API_KINDS.search(manifest))


class KeptConfigs:
    """A worker's kept Configs, made by ``make(cluster)`` and closed when dropped."""

    def __init__(self, make: Callable[[Mapping[str, Any]], Any], clock: Callable[[], float] = time.monotonic) -> None:
        self._make = make
        self._clock = clock
        self._generation: int | None = None
        self._kept: OrderedDict[str, tuple[Any, float]] = OrderedDict()

    def get(self, cluster: Mapping[str, Any], generation: int | None, after: float | None = None) -> tuple[Any, bool]:
        """A Config for ``cluster``, and whether it is kept (else the caller closes it): one made
        after ``after`` (monotonic) if given. Without a generation (a parent that does not number
        them) every write gets a fresh one."""
        if generation is None:
            return self._make(cluster), False
        if generation != self._generation:
            self.drop()
            self._generation = generation
        key = json.dumps(cluster, sort_keys=True)
        now = self._clock()
        kept = self._kept.get(key)
        if kept is not None and now - kept[1] < KEEP_SECONDS and (after is None or kept[1] >= after):
            self._kept.move_to_end(key)
            return kept[0], True
        if kept is not None:
            self._close(self._kept.pop(key)[0])
        config = self._make(cluster)
        self._kept[key] = (config, now)
        while len(self._kept) > KEPT:
            self._close(self._kept.popitem(last=False)[1][0])
        return config, True

    def drop(self) -> None:
        """Close every kept Config (the API groups may have changed)."""
        while self._kept:
            self._close(self._kept.popitem()[1][0])

    @staticmethod
    def _close(config: Any) -> None:
        config.__exit__(None, None, None)
