"""A firm's profile (the questionnaire's profile page, or a firm row as ``firm_profile`` gives
it): reading its values the one way every module reads them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def employees_of(profile: Mapping[str, Any]) -> int:
    """The firm's employee count; 0 when the profile gives none or no number.

    The questionnaire asks for at least 1 (``min: 1``), so 0 only ever means "not given": the
    rules leave such a firm out of the small-firm line (``0 < employees``), and the planner
    plans one person per group for it.
    """
    try:
        return max(0, int(str(profile.get("employees") or 0).replace(",", "")))
    except ValueError:
        return 0
