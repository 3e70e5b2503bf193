"""What the app accepts, stated once: lengths, characters and shapes of everything typed.

Forms, the JSON API and the services all take their limits from here, so a limit holds the
same on a page, in an autosave, in an API call and from the command line.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask_babel import lazy_gettext as _l

NOTE_MAX = 2000  # a consultant's note beside one answer
TEXT_ANSWER_MAX = 4000  # a free-text answer
PROFILE_TEXT_MAX = 200  # a company or contact name, a phone number, an email address
REASON_MAX = 2000  # why a consultant chose another track
SEARCH_MAX = 100  # the firm search box
JSON_DEPTH_MAX = 16  # a submission is three levels deep; anything far deeper is an attack
OPTIONS_MAX = 50  # options chosen for one multiple-choice item

# Characters that print nothing: a name made only of these is no name.
_INVISIBLE = {"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"}
_LINE_BREAKS = {"\n", "\r", "\t"}


def digits_normalised(value: Any) -> Any:
    """Full-width and other compatibility digits become ASCII (NFKC) where digits are expected."""
    return unicodedata.normalize("NFKC", value) if isinstance(value, str) else value


def text_problem(value: str, max_length: int, multiline: bool = False) -> Any:
    """Why ``value`` cannot be stored as text, as a message in the UI language; else None."""
    if len(value) > max_length:
        return _l("At most %(max)d characters.", max=max_length)
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        return _l("This text holds characters that cannot be stored. Type it again.")
    allowed = _LINE_BREAKS if multiline else {"\t"}
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in value):
        return _l("This text holds control characters. Type it again without them.")
    if value and all(c.isspace() or unicodedata.category(c) in _INVISIBLE for c in value):
        return _l("Enter visible text, not only spaces or invisible characters.")
    return None


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def json_too_deep(raw: bytes, limit: int = JSON_DEPTH_MAX) -> bool:
    """Whether a JSON text nests arrays and objects deeper than ``limit``, without parsing it
    (the parser itself would recurse once per level)."""
    depth = 0
    for byte in _STRING.sub(b"", raw).translate(None, delete=_NOT_BRACKETS):
        depth += 1 if byte in b"[{" else -1
        if depth > limit:
            return True
    return False


_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
