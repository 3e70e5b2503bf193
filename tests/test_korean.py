"""Korean particles chosen by the syllable before them (diagnose/korean.py), in the app's
messages and in the report's."""

from __future__ import annotations

import pytest
from flask_babel import force_locale, gettext

from diagnose import korean
from diagnose.roadmap.pdf import _environment


@pytest.mark.parametrize(
    ("word", "notation", "expected"),
    [
        ("입문", "(이)었", "입문이었"),
        ("공동훈련센터 연계", "(이)었", "공동훈련센터 연계였"),
        ("AX 기업", "(이)었", "AX 기업이었"),
        ("2026년 12월 2일(회색)", "과(와)", "2026년 12월 2일(회색)과"),
        ("2026년 12월 2(회색)", "과(와)", "2026년 12월 2(회색)와"),
        ("‘AX 기업’", "(으)로", "‘AX 기업’으로"),
        ("‘입문’", "(으)로", "‘입문’으로"),
        ("서울", "(으)로", "서울로"),
        ("PBL", "(으)로", "PBL로"),
        ("PBL", "을(를)", "PBL을"),
        ("GPU", "을(를)", "GPU를"),
        ("로봇 팔", "은(는)", "로봇 팔은"),
        ("비전 카메라", "은(는)", "비전 카메라는"),
        ("8시간", "을(를)", "8시간을"),
        ("10", "이(가)", "10이"),  # 십
        ("100", "이(가)", "100이"),  # 백
        ("2", "이(가)", "2가"),  # 이
        ("1000", "와(과)", "1000과"),  # 천
        ("5", "와(과)", "5와"),  # 오
        ("0", "은(는)", "0은"),  # 영
        ("", "은(는)", "는"),
    ],
)
def test_attach_picks_the_form_by_the_syllable_read_last(word, notation, expected):
    assert korean.attach(word, notation) == expected


def test_resolve_fills_every_notation_and_leaves_other_parentheses():
    text = "당시 트랙은 입문(이)었습니다. 비전 카메라은(는) 없고 (참고) 서울(으)로 갑니다."
    assert (
        korean.resolve(text)
        == "당시 트랙은 입문이었습니다. 비전 카메라는 없고 (참고) 서울로 갑니다."
    )
    plain = "100점 만점 점수(회색)"
    assert korean.resolve(plain) is plain


def test_every_gettext_of_the_app_resolves_particles(app):
    with app.test_request_context(), force_locale("ko"):
        assert (
            gettext("The track was %(track)s then.", track="입문") == "당시 트랙은 입문이었습니다."
        )
        assert (
            gettext("The track was %(track)s then.", track="공동훈련센터 연계")
            == "당시 트랙은 공동훈련센터 연계였습니다."
        )
        caption = gettext("Scores out of 100 on %(t0)s (grey) and now (blue).", t0="12월 2일")
        assert "12월 2일(회색)과 현재" in caption


def test_templates_resolve_particles_and_keep_escaping(app):
    with app.test_request_context(), force_locale("ko"):
        html = app.jinja_env.from_string(
            '{{ _("The track was %(track)s then.", track=t) }}'
        ).render(t="<b>입문</b>")
    assert html == "당시 트랙은 &lt;b&gt;입문&lt;/b&gt;이었습니다."


def test_the_report_environment_resolves_particles():
    env = _environment("ko")
    text = env.from_string('{{ _("The track was %(track)s then.", track="입문") }}').render()
    assert text == "당시 트랙은 입문이었습니다."


def test_no_korean_message_fixes_a_particle_after_a_placeholder():
    """Every particle right after a filled-in name or number is written in the two-form
    notation, so that ``resolve`` picks it ("%(track)s(이)었습니다", not "%(track)s였습니다")."""
    import re
    from pathlib import Path

    from babel.messages.pofile import read_po

    po = Path(__file__).parent.parent / "diagnose/translations/ko/LC_MESSAGES/messages.po"
    with po.open("rb") as f:
        catalog = read_po(f)
    fixed = re.compile(
        r"%\([a-z_0-9]+\)[sd][’”'\")]*(?:\((?!으\)|이\))[^)]*\))?"
        r"(은|는|이|가|을|를|과|와|으로|로|였|이었)(?=[\s.,:;!?)]|$|습|다)"
    )
    wrong = []
    for message in catalog:
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in texts:
            if text and fixed.search(text):
                wrong.append(text)
    assert wrong == [], wrong


def test_every_string_marked_for_translation_has_its_korean(tmp_path):
    """What the code and templates mark for translation (extracted as the README says, with
    babel.cfg) is in the Korean catalogue with a Korean text: no sentence a user sees falls
    back to English in the Korean UI or PDF. The committed template (messages.pot) is that
    extraction, so a translator starts from every string."""
    from pathlib import Path

    from babel.messages.frontend import CommandLineInterface
    from babel.messages.pofile import read_po

    root = Path(__file__).parent.parent
    out = tmp_path / "extracted.pot"
    CommandLineInterface().run(
        ["pybabel", "extract", "-F", str(root / "babel.cfg"), "-k", "_l", "-w", "100",
         "--no-location", "--sort-output", "-o", str(out), str(root)]
    )  # fmt: skip

    def ids(path: Path, translated: bool = False) -> set[str]:
        with path.open("rb") as f:
            catalog = read_po(f)
        return {
            m.id if isinstance(m.id, str) else m.id[0]
            for m in catalog
            if m.id
            and (not translated or all(m.string if isinstance(m.string, tuple) else [m.string]))
        }

    extracted = ids(out)
    assert len(extracted) > 1000
    korean = ids(root / "diagnose/translations/ko/LC_MESSAGES/messages.po", translated=True)
    assert not sorted(extracted - korean)[:20], "no Korean for these"
    template = ids(root / "diagnose/translations/messages.pot")
    assert not sorted(extracted - template)[:20], "not in messages.pot: extract it again"
