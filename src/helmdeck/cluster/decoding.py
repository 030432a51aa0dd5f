"""Decoding of API responses made safe for threads.

lightkube decodes responses with msgspec, which builds a type's decoding tables the first time that
type is decoded and publishes them on the class before they are filled (so recursive types can refer
to themselves). Two threads decoding the same model for the first time can then read a half-built
table: measured with msgspec 0.22 as a segmentation fault in ``json_decode_struct_map_inner`` when
the deploy executor's workers first listed Pods at the same moment. Building every table once, from
one thread, before any client is used removes the race; the tables are cached for the process.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import msgspec
from lightkube.core import decoders
from lightkube.models import meta_v1

_lock = threading.Lock()
_prepared: set[type] = set()


def _prepare(model: type) -> None:
    if model in _prepared:
        return
    msgspec.json.Decoder(model)  # builds (and caches on the class) the tables of it and every nested type
    _prepared.add(model)


def _structs_of(module: Any) -> list[type]:
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, msgspec.Struct) and value.__module__ == module.__name__
    ]


def prepare_decoding() -> None:
    """Build the decoding tables of every lightkube resource loaded so far (which builds those of
    every model nested in them), of their lists, of watch events and of API errors."""
    with _lock:
        modules = [
            module
            for name, module in list(sys.modules.items())
            if module is not None and name.startswith("lightkube.resources.")
        ]
        _prepare(decoders.WatchEvent)
        _prepare(meta_v1.Status)
        for module in modules:
            for model in _structs_of(module):
                if _is_resource(model):
                    _prepare(model)
                    _prepare_list(model)


def _is_resource(model: type) -> bool:
    return hasattr(model, "_api_info")


def prepare_list_model(resource: type) -> None:
    """The same for a resource class made at run time (a custom resource kind)."""
    with _lock:
        _prepare_list(resource)


def _prepare_list(resource: type) -> None:
    # lightkube makes a resource's list model on first use and caches it without a lock: two threads
    # could each make one and decode with the other's half-built table
    model, _ = decoders._get_list_model(resource)
    _prepare(model)
