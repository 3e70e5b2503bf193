"""Moved to ``diagnose.inputs`` (the questionnaire's types read it too); kept for callers not
yet changed."""

from ..inputs import *  # noqa: F403
from ..inputs import digits_normalised, json_too_deep, text_problem  # noqa: F401
