"""Is a production secret key random enough? One self-contained function, no settings.

The earlier check scored a key by the Shannon entropy of its characters: it let
``0123456789abcdef0123456789abcdef`` through (16 different characters, evenly spread) and
refused about 1.7 % of genuinely random ``secrets.token_hex(16)`` keys (a random key may by
chance repeat a few characters). Randomness cannot be measured on one string; a key that
someone *made up* can be recognised by its pattern instead. The thresholds are chosen so that a
random key of ``token_hex(16)`` (32 characters of 16) trips one with a probability below one
in a million (tool assumption, computed in the comments and checked by
``tests/test_config.py`` on 20,000 keys and ``bench/suite_samples.py`` on 200,000):
"""

from __future__ import annotations

PLACEHOLDERS = {"", "dev", "changeme", "change-me", "secret", "secret_key", "password"}
MIN_LENGTH = 32
# At most 6 different characters: for token_hex(16) P ≈ C(16,6)·(6/16)^32 ≈ 2e-10.
MIN_DISTINCT = 7
# A part of 8 characters that occurs twice ("abcabcab…", "password" * 4, a doubled key):
# for token_hex(16) P ≲ (25²/2)·16⁻⁸ ≈ 7e-8.
REPEAT = 8
# A run of 8 characters each one after or before the last (01234567, abcdefgh, 87654321):
# for token_hex(16) P ≲ 25·2·16⁻⁷ ≈ 2e-7.
RUN = 8


def _has_repeat(key: str, size: int = REPEAT) -> bool:
    seen: set[str] = set()
    for start in range(len(key) - size + 1):
        part = key[start : start + size]
        if part in seen:
            return True
        seen.add(part)
    return False


def _longest_run(key: str) -> int:
    longest = run = 1
    step = 0
    for before, after in zip(key, key[1:], strict=False):
        diff = ord(after) - ord(before)
        if diff in (1, -1) and (run == 1 or diff == step):
            run, step = run + 1, diff
        else:
            run, step = (2, diff) if diff in (1, -1) else (1, 0)
        longest = max(longest, run)
    return longest if key else 0


def secret_key_problem(key: str) -> str | None:
    """What is wrong with ``key`` as a production secret key, or None when nothing is."""
    if key.strip().lower() in PLACEHOLDERS:
        return "it is a placeholder"
    if len(key) < MIN_LENGTH:
        return f"it is shorter than {MIN_LENGTH} characters"
    if len(set(key)) < MIN_DISTINCT:
        return "it uses too few different characters"
    if _has_repeat(key):
        return "a part of it repeats"
    if _longest_run(key) >= RUN:
        return "it holds a run of characters such as 01234567 or abcdefgh"
    return None
