"""Korean particles (조사) chosen by the syllable before them.

A Korean sentence that puts a name, a track or a number before a particle cannot know the
particle in advance: "입문이었습니다" but "공동훈련센터 연계였습니다", "2일(회색)과" but
"12월 2(회색)와". Translations write the particle in the usual two-form notation
(``은(는)``, ``이(가)``, ``을(를)``, ``과(와)``, ``(으)로``, ``(이)었``, ``(이)``) and
``resolve`` picks the form once the sentence is filled in; every gettext call goes through it
(``diagnose/__init__.py``). Python code that joins a word and a particle itself calls ``attach``.

Not ``tossi`` from PyPI: its last release is from 2017 and it is unmaintained; this is the
small part of it the app needs, tested in ``tests/test_korean.py``.
"""

from __future__ import annotations

import re

# What the last character is read as, when it is not a Hangul syllable: the final consonant
# (받침) of its Korean reading, "" for none. Digits are read Sino-Korean (일, 이, 삼, …).
_DIGIT_FINAL = {
    "0": "ㅇ",
    "1": "ㄹ",
    "2": "",
    "3": "ㅁ",
    "4": "",
    "5": "",
    "6": "ㄱ",
    "7": "ㄹ",
    "8": "ㄹ",
    "9": "",
}
# 10 십, 100 백, 1000 천, 10000 만 (and 십만, 백만 … end in 만 too)
_ZEROS_FINAL = {1: "ㅂ", 2: "ㄱ", 3: "ㄴ"}
# Latin letters read by their names (엘, 엠, 엔, 알 end in a consonant): "PBL로", "CRM을"
_LETTER_FINAL = {"l": "ㄹ", "m": "ㅁ", "n": "ㄴ", "r": "ㄹ"}
_FINALS = [
    "",
    "ㄱ",
    "ㄲ",
    "ㄳ",
    "ㄴ",
    "ㄵ",
    "ㄶ",
    "ㄷ",
    "ㄹ",
    "ㄺ",
    "ㄻ",
    "ㄼ",
    "ㄽ",
    "ㄾ",
    "ㄿ",
    "ㅀ",
    "ㅁ",
    "ㅂ",
    "ㅄ",
    "ㅅ",
    "ㅆ",
    "ㅇ",
    "ㅈ",
    "ㅊ",
    "ㅋ",
    "ㅌ",
    "ㅍ",
    "ㅎ",
]
# skipped at the end of a word: closing quotes and brackets, and in a page's HTML an escaped
# character or a tag, escaped or not ("<strong>입문</strong>")
_TRAILING = re.compile(r"(?:[’”'\"」』》〉\]\s]|&lt;/?\w+.*?&gt;|&#?\w+;|</?\w+[^<>]*>)+$")

# notation -> (form after a final consonant, form after a vowel); (으)로 also after ㄹ: 로
_NOTATIONS = {
    "은(는)": ("은", "는"),
    "는(은)": ("은", "는"),
    "이(가)": ("이", "가"),
    "가(이)": ("이", "가"),
    "을(를)": ("을", "를"),
    "를(을)": ("을", "를"),
    "과(와)": ("과", "와"),
    "와(과)": ("과", "와"),
    "(으)로": ("으로", "로"),
    "(이)었": ("이었", "였"),
    "(이)": ("이", ""),
}
_PATTERN = re.compile("|".join(re.escape(n) for n in sorted(_NOTATIONS, key=len, reverse=True)))


def final_consonant(word: str) -> str:
    """The final consonant (받침) of how ``word`` ends when read aloud, "" for a vowel.

    Closing quotes and a parenthetical at the end are skipped: "‘입문’" reads 문,
    "2일(회색)" reads 일. A character with no Korean reading counts as a vowel."""
    text = _TRAILING.sub("", word)
    while text.endswith(")") and "(" in text:
        text = _TRAILING.sub("", text[: text.rindex("(")])
    if not text:
        return ""
    last = text[-1]
    if "가" <= last <= "힣":
        return _FINALS[(ord(last) - 0xAC00) % 28]
    if last.isdigit() and last.isascii():
        digits = re.search(r"[0-9]+$", text).group()
        zeros = len(digits) - len(digits.rstrip("0"))
        if zeros == 0 or digits.strip("0") == "":
            return _DIGIT_FINAL[last]
        return _ZEROS_FINAL.get(zeros, "ㄴ")
    return _LETTER_FINAL.get(last.lower(), "")


def attach(word: str, notation: str) -> str:
    """``word`` followed by the form of ``notation`` its ending takes:
    ``attach("입문", "(이)었")`` is "입문이었", ``attach("연계", "(이)었")`` "연계였"."""
    after_consonant, after_vowel = _NOTATIONS[notation]
    final = final_consonant(word)
    if notation == "(으)로":
        return word + (after_consonant if final and final != "ㄹ" else after_vowel)
    return word + (after_consonant if final else after_vowel)


def resolve(text: str) -> str:
    """Every particle notation in a filled-in sentence replaced by the form the word before
    it takes. Text without a notation comes back unchanged."""
    if "(" not in text:
        return text
    text = str.__str__(text)  # a page's Markup: joined as the text it already is
    parts: list[str] = []
    position = 0
    for match in _PATTERN.finditer(text):
        before = "".join(parts) + text[position : match.start()]
        if not before or before[-1].isspace():
            continue  # not after a word: a parenthesis of the sentence, left as written
        parts = [attach(before, match.group())]
        position = match.end()
    return "".join(parts) + text[position:]
