"""Configuration from DIAGNOSE_ variables."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diagnose import create_app
from diagnose.config import ConfigError
from diagnose.secret_key import secret_key_problem

# A key drawn once from secrets.token_hex(16): fixed, so the test never depends on chance.
RANDOM_KEY = "9f86d081884c7d659a2feaa0c55ad015"


def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("DIAGNOSE_ENV", "production")
    monkeypatch.setenv("DIAGNOSE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("DIAGNOSE_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="DIAGNOSE_SECRET_KEY"):
        create_app()
    monkeypatch.setenv("DIAGNOSE_SECRET_KEY", "changeme")
    with pytest.raises(ConfigError):
        create_app()
    for weak in (
        "x" * 40,
        "abc" * 14,
        "0123456789" * 4,
        "password" * 5,
        "0123456789abcdef0123456789abcdef",  # 16 different characters, and still made up
    ):
        monkeypatch.setenv("DIAGNOSE_SECRET_KEY", weak)
        with pytest.raises(ConfigError, match="DIAGNOSE_SECRET_KEY"):
            create_app()
    monkeypatch.setenv("DIAGNOSE_SECRET_KEY", RANDOM_KEY)
    with pytest.raises(ConfigError, match="DIAGNOSE_BASE_URL"):
        create_app()  # links to firms are never built on a caller's Host header
    monkeypatch.setenv("DIAGNOSE_BASE_URL", "https://diagnose.example.kr/")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["DEMO_DATA"] is False
    assert app.config["BASE_URL"] == "https://diagnose.example.kr"


def test_instance_path_moves_database_and_key(monkeypatch, tmp_path):
    monkeypatch.setenv("DIAGNOSE_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("DIAGNOSE_DEMO_DATA", "0")
    app = create_app()
    assert app.config["DATABASE"] == str(tmp_path / "elsewhere" / "diagnose.sqlite3")
    assert (tmp_path / "elsewhere" / "diagnose.sqlite3").exists()
    # a local key is made once and kept, so logins survive a restart
    assert create_app().secret_key == app.secret_key


def test_demo_data_prints_a_login(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DIAGNOSE_INSTANCE_PATH", str(tmp_path))
    create_app()
    first = capsys.readouterr().out
    assert "Demo login: doctor@demo.example / password:" in first
    create_app()  # a second start seeds nothing new and prints the same login
    assert capsys.readouterr().out.strip().splitlines()[-1] == first.strip().splitlines()[-1]


# --- the key check: random keys always pass, made-up ones never ----------------------------


def refused_random_keys(count: int, seed: int = 20261202) -> list[str]:
    """The ones of ``count`` random ``token_hex(16)``-like keys that the check refuses
    (seeded: the same keys on every run)."""
    draw = random.Random(seed)
    keys = (f"{draw.getrandbits(128):032x}" for _ in range(count))
    return [key for key in keys if secret_key_problem(key)]


def test_twenty_thousand_random_keys_all_pass():
    # the entropy estimate refused ~1.7 % of these (~340); bench/suite_samples.py checks
    # 200,000 with the same seed, these 20,000 among them
    assert refused_random_keys(20_000) == []


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.randoms(use_true_random=True), st.sampled_from([16, 24, 32, 48]))
def test_any_random_hex_or_urlsafe_key_passes(draw, size):
    import base64

    raw = draw.getrandbits(8 * size).to_bytes(size, "big")
    assert secret_key_problem(raw.hex()) is None
    if size >= 24:
        assert secret_key_problem(base64.urlsafe_b64encode(raw).decode().rstrip("=")) is None


@settings(derandomize=True, max_examples=300, deadline=None)
@given(
    st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=16),
    st.randoms(use_true_random=False),
)
def test_a_repeated_pattern_a_doubled_key_or_a_run_is_refused(part, draw):
    repeated = part * -(-48 // len(part))  # at least 48 characters of one pattern
    assert secret_key_problem(repeated) is not None
    half = f"{draw.getrandbits(64):016x}"
    assert secret_key_problem(half + half) is not None  # a key typed twice
    start = draw.randrange(33, 126 - 32)
    run = "".join(chr(start + i) for i in range(32))
    assert secret_key_problem(run) is not None
    assert secret_key_problem(run[::-1]) is not None


def test_translations_are_compiled_at_install_and_a_missing_one_stops_the_start(make_app, tmp_path):
    import shutil

    from diagnose.i18n import TRANSLATIONS, CatalogueMissing, compile_catalogues

    folder = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, folder, ignore=shutil.ignore_patterns("*.mo"))
    with pytest.raises(CatalogueMissing, match="python -m diagnose.i18n"):
        make_app(BABEL_TRANSLATION_DIRECTORIES=str(folder))
    assert not list(folder.glob("*/LC_MESSAGES/*.mo"))  # the start compiled nothing
    assert [p.name for p in compile_catalogues(folder)] == ["messages.mo"]
    app = make_app(BABEL_TRANSLATION_DIRECTORIES=str(folder))
    assert "로그인" in app.test_client().get("/login").get_data(as_text=True)


def test_a_wrong_value_stops_the_start_and_names_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("DIAGNOSE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DIAGNOSE_RENDER_WORKERS", "two")
    with pytest.raises(ConfigError, match=r"DIAGNOSE_RENDER_WORKERS: .*integer.*'two'"):
        create_app()
    monkeypatch.setenv("DIAGNOSE_RENDER_WORKERS", "3")
    monkeypatch.setenv("DIAGNOSE_QUEUE_IMMEDIATE", "maybe")
    with pytest.raises(ConfigError, match="DIAGNOSE_QUEUE_IMMEDIATE"):
        create_app()


def test_values_come_typed_and_an_empty_variable_keeps_the_default(monkeypatch, tmp_path):
    monkeypatch.setenv("DIAGNOSE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DIAGNOSE_DEMO_DATA", "off")
    monkeypatch.setenv("DIAGNOSE_RENDER_WAIT", "0.5")
    monkeypatch.setenv("DIAGNOSE_SESSION_HOURS", "3")
    monkeypatch.setenv("DIAGNOSE_DATABASE", "")
    monkeypatch.setenv("DIAGNOSE_LOGIN_RATE_LIMIT", "")
    app = create_app()
    assert app.config["DEMO_DATA"] is False and app.config["RENDER_WAIT"] == 0.5
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 3 * 3600
    assert app.config["DATABASE"] == str(tmp_path / "diagnose.sqlite3")
    assert app.config["LOGIN_RATE_LIMIT"] == "10 per minute; 30 per hour"


def test_every_setting_is_in_the_readme_and_every_row_is_a_setting():
    import re
    from pathlib import Path

    from diagnose.config import Settings

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = {
        name
        for row in table.splitlines()
        if row.startswith("| `DIAGNOSE_")
        for name in re.findall(r"`DIAGNOSE_([A-Z_]+)`", row.split("|")[1])
    }
    assert documented == {name.upper() for name in Settings.model_fields}
