"""How helmdeck says a number of things: one helper for every count sentence, so none reads
"1 objects", "2 item(s)" or names a count that is not the one it counts.

>>> counted(1, "volume claim")
'1 volume claim'
>>> counted(["a", "b"], "policy")
'2 policies'
>>> counted(0, "error")
'0 errors'
"""

from __future__ import annotations

from collections.abc import Sized

#: plurals the rules below get wrong
_IRREGULAR = {"child": "children", "person": "people", "data": "data", "metadata": "metadata"}


def plural(noun: str) -> str:
    """The plural of an English noun (of the last word of ``noun``): claim -> claims, class ->
    classes, policy -> policies."""
    head, _, word = noun.rpartition(" ")
    lead = f"{head} " if head else ""
    if word in _IRREGULAR:
        return lead + _IRREGULAR[word]
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return f"{lead}{word}es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return f"{lead}{word[:-1]}ies"
    return f"{lead}{word}s"


def counted(count: int | Sized, noun: str, plural_form: str | None = None) -> str:
    """``count`` (a number, or a collection whose length is counted) with ``noun`` in the number
    it takes: ``1 volume claim``, ``8 volume claims``. ``plural_form`` for a noun the rules miss."""
    n = count if isinstance(count, int) else len(count)
    return f"{n} {noun if n == 1 else (plural_form or plural(noun))}"
