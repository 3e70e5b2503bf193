"""The two closed sets the whole app speaks of, stated once: the tracks a firm is put on and
the roles a login has. Both are ``StrEnum``: each member *is* its stored string ("ax",
"consultant"), so the database, the JSON API and the templates keep the values they had.
"""

from __future__ import annotations

from enum import StrEnum


class Track(StrEnum):
    """The three training tracks of the "AI+ 역량 업" plan (DOMAIN.md, seeds/000)."""

    BEGINNER = "beginner"  # 입문: free online courses first
    AX = "ax"  # AX 기업: job analysis, then PBL on the firm's own problems
    SHARED_CENTER = "shared_center"  # 공동훈련센터 연계


class Role(StrEnum):
    """What a login is (``services/access.py`` says what each may do)."""

    CONSULTANT = "consultant"  # a training doctor: their caseload
    CENTER_STAFF = "center_staff"  # their center
    ADMINISTRATOR = "administrator"  # every center, one at a time


TRACKS: tuple[Track, ...] = tuple(Track)
ROLES: tuple[Role, ...] = tuple(Role)
