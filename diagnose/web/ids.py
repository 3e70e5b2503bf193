"""Integers from paths, queries and forms, checked in one place.

SQLite stores a signed 64-bit INTEGER: a larger number from a URL (``/firms/9…9``,
``?page=9…9``) raised ``OverflowError`` deep in a query, a 500. A path's ``<int:…>`` is this
converter, so such a path is a 404 like any missing id; a query or form value goes through
``parse_id`` (None when it is not an id) and the view answers 400 or ignores it.
"""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_ID = 2**63 - 1  # SQLite's largest INTEGER


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: 0 … ``MAX_ID``; anything larger does not match (404)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def parse_id(text: object, maximum: int = MAX_ID) -> int | None:
    """``text`` as a non-negative integer up to ``maximum``, else None.

    Only ASCII digits: ``"٣".isdigit()`` is true and ``"²".isdigit()`` too, and int() refuses
    the second (a 500 where ``isdigit`` guarded it).
    """
    if not isinstance(text, str) or not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if value <= maximum else None
