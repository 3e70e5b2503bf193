"""Fixtures after Flask's tutorial: an app per test on its own temporary instance folder."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from diagnose import create_app
from diagnose.auth import create_center, create_user
from diagnose.storage import connect

# One thread per process for OpenMP and BLAS (scikit-learn's gradient boosting, NumPy): the
# workers of ``pytest -n`` already occupy every core, and a second thread per worker only
# spins. The consumers and render children the tests start inherit it. Set before anything
# imports scikit-learn or NumPy; results do not depend on the thread count.
for _threads in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")

DATA = Path(__file__).parent / "data"
# A render on a shared two-core machine, with two test workers and their render children,
# can take longer than the production limit (30 s) with nothing wrong; the tests of the limit
# set their own (RENDER_TIMEOUT). From the environment, so the consumers tests start get it too.
os.environ.setdefault("DIAGNOSE_RENDER_TIMEOUT", "120")
PASSWORD = "correct horse battery staple"


def pytest_sessionstart(session):
    """The translations compiled as installing compiles them (``scripts/setup.sh``): the app
    itself only checks that they are there. Once, before pytest-xdist starts its workers (a
    worker finds them compiled), so that no two processes write the same file."""
    if hasattr(session.config, "workerinput"):
        return
    from diagnose.i18n import compile_catalogues

    compile_catalogues()


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    return tmp_path / "instance"


@pytest.fixture
def make_app(instance: Path):
    def make(**config):
        settings = {"TESTING": True, "INSTANCE_PATH": str(instance), "DEMO_DATA": False}
        settings.update(config)
        return create_app(settings)

    return make


@pytest.fixture(scope="module")
def app_context(tmp_path_factory):
    """A Korean request context of an app without demo data, for a module's tests that
    build a report's values (its plan view, its sentences) without a database of firms."""
    from flask_babel import force_locale

    from diagnose import create_app

    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("context") / "instance"),
            "DEMO_DATA": False,
        }
    )
    with app.test_request_context(), force_locale("ko"):
        yield app


@pytest.fixture
def app(make_app):
    """The app with the real questionnaire."""
    return make_app()


@pytest.fixture
def mini_app(make_app):
    """The app with the small test questionnaire."""
    return make_app(QUESTIONNAIRES=str(DATA / "questionnaires"))


@pytest.fixture
def db(app):
    database = connect(app.config["DATABASE"])
    yield database
    database.conn.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def add_user(
    app,
    email: str = "doctor@center-a.example",
    center: str = "센터 A",
    name: str = "홍길동",
    role: str = "consultant",
) -> dict:
    database = connect(app.config["DATABASE"])
    try:
        row = database.execute("SELECT id FROM centers WHERE name = ?", [center]).fetchone()
        center_id = row[0] if row else create_center(database, center, "seoul")
        user_id = create_user(database, center_id, email, name, PASSWORD, role)
    finally:
        database.conn.close()
    return {"id": user_id, "center_id": center_id, "email": email}


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Browser:
    """A test client that logs in and posts forms with the page's CSRF token, as a browser."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)

    def post_form(self, url: str, data: dict, page: str | None = None, **kwargs):
        html = self.client.get(page or url).get_data(as_text=True)
        return self.client.post(url, data={**data, "csrf_token": csrf_from(html)}, **kwargs)

    def login(self, email: str, password: str = PASSWORD):
        response = self.post_form("/login", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response


@pytest.fixture
def consultant(app) -> Browser:
    user = add_user(app)
    browser = Browser(app)
    browser.login(user["email"])
    browser.user = user
    return browser


VALID_FIRM = {
    "company_name": "테스트정밀",
    "business_number": "220-81-62517",
    "region": "seoul",
    "industry": "C",
    "employees": "35",
    "revenue_band": None,  # filled from the questionnaire's first band
    "contact_name": "김담당",
    "contact_phone": "02-123-4567",
    "contact_email": "",
}


def firm_form(app, **changes) -> dict:
    questionnaire = app.extensions["questionnaires"].current
    data = dict(VALID_FIRM)
    data["revenue_band"] = questionnaire.profile_field("revenue_band").choices[0].value
    industries = questionnaire.profile_field("industry").choices
    data["industry"] = industries[min(2, len(industries) - 1)].value  # manufacturing, "C"
    data["region"] = questionnaire.profile_field("region").choices[0].value
    data.update(changes)
    return data


def register_firm(browser: Browser, **changes) -> int:
    response = browser.post_form("/firms/new", firm_form(browser.app, **changes))
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def start_assessment(browser: Browser, firm_id: int) -> int:
    response = browser.post_form(f"/firms/{firm_id}/assessments", {}, page=f"/firms/{firm_id}")
    assert response.status_code == 302
    return int(response.headers["Location"].split("/")[-2])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Opt-in: with ``PYTEST_CPU_LOG=file``, each test's CPU seconds (this process,
    setup and teardown included; not the render children's), its waited-for children's CPU
    and its wall seconds are appended to ``file``, one tab-separated line per test."""
    log = os.environ.get("PYTEST_CPU_LOG")
    if not log:
        yield
        return
    import time

    cpu, children, wall = time.process_time(), os.times(), time.perf_counter()
    yield
    after = os.times()
    waited = after.children_user + after.children_system
    waited -= children.children_user + children.children_system
    with open(log, "a", encoding="utf-8") as out:
        out.write(
            f"{item.nodeid}\t{time.process_time() - cpu:.2f}\t{waited:.2f}\t"
            f"{time.perf_counter() - wall:.2f}\n"
        )


@pytest.fixture(scope="session", autouse=True)
def _password_hashes_once():
    """werkzeug's scrypt costs about 0.1 s of CPU per hash and per check, and the suite creates
    and logs in the same few users (one password) in hundreds of tests: each worker computes a
    hash of a given password once and checks a given (hash, password) pair once, with
    werkzeug's own functions, and reuses the answer. A check's answer is the function's own
    (it is pure); the one difference is that two users given the same password in one worker
    share a salt. A new password (a reset, the decoy hash of an unknown email) is hashed anew."""
    from functools import lru_cache

    from diagnose import auth

    generate, check = auth.generate_password_hash, auth.check_password_hash
    auth.generate_password_hash = lru_cache(maxsize=256)(generate)
    auth.check_password_hash = lru_cache(maxsize=1024)(check)
    yield
    auth.generate_password_hash, auth.check_password_hash = generate, check


@pytest.fixture(scope="session", autouse=True)
def _render_workers_stop():
    """Stop the report's render workers when the tests end, not in interpreter teardown."""
    yield
    from diagnose.roadmap import pdf

    pdf._close_pool()


# --- a real server and a real Chromium, for the browser and accessibility tests ---------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@contextmanager
def serve(app) -> Iterator[str]:
    """``app`` on a free loopback port, in a thread, for as long as the block runs."""
    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()


# axe-core (``npm ci``, package.json pins it), served over loopback HTTP rather than sent
# through the DevTools protocol with each check: a script tag with a URL reaches Chromium once
# per browser context and is then read from its cache and code cache, where 650 kB of source
# sent with every check cost a third of a second of CPU each time.
AXE = Path(__file__).parent.parent / "node_modules" / "axe-core" / "axe.min.js"


_axe_served: list[str] = []


def axe_url() -> str:
    """The URL of axe-core on a loopback server of this process's (started on first use)."""
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    if _axe_served:
        return _axe_served[0]
    assert AXE.exists(), f"{AXE} is missing: run `bash scripts/setup.sh test` (npm ci)"

    class Handler(SimpleHTTPRequestHandler):
        def end_headers(self):
            self.send_header("Cache-Control", "max-age=86400, immutable")
            super().end_headers()

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(AXE.parent)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    _axe_served.append(f"http://127.0.0.1:{httpd.server_port}/{AXE.name}")
    return _axe_served[0]


def shot(page, name: str) -> None:
    """A full-page screenshot ``name``.png for people to look at, taken only when
    ``DIAGNOSE_SCREENSHOTS`` names a folder for it: it checks nothing, and a full page encoded
    as PNG costs Chromium a quarter second of CPU."""
    folder = os.environ.get("DIAGNOSE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture
def server(app) -> Iterator[str]:
    with serve(app) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, started once for the whole session; each test opens its own
    context (cookies, storage, viewport), so nothing passes from one test to the next."""
    from playwright import sync_api as playwright_api

    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


# --- trained models, once per session

# A model trained to check a gate's logic (refused, accepted, kept, reproducible) is trained on
# this many bootstrap firms, not the shipped 8,000: no gate's outcome in the tests depends on
# the size, and generating the firms is most of a training's CPU.
SMALL_BOOTSTRAP = 600


@pytest.fixture(scope="session")
def served_questionnaire():
    """The questionnaire version the app serves, which the shipped model was trained on."""
    from diagnose.questionnaire.schema import load_questionnaire

    return load_questionnaire(
        Path(__file__).parent.parent / "questionnaires/ai_training_needs/v2.yaml"
    )


@pytest.fixture(scope="session")
def small_track_model(served_questionnaire):
    """A model trained on a small bootstrap set (no test changes it)."""
    from diagnose.diagnosis.training import train

    model, _ = train(
        served_questionnaire, seed=7, bootstrap_size=SMALL_BOOTSTRAP, evaluate_it=False
    )
    return model


@pytest.fixture(scope="session")
def poor_track_model(served_questionnaire):
    """A model trained on noisy labels: worse than the shipped one (no test changes it)."""
    from diagnose.diagnosis.training import train

    model, _ = train(
        served_questionnaire,
        seed=3,
        bootstrap_size=SMALL_BOOTSTRAP,
        label_noise=0.35,
        evaluate_it=False,
    )
    return model


@pytest.fixture(scope="session")
def held_out_theme_model():
    """The task model trained on the corpus without its fixed held-out part (every eighth
    statement of each label): ``(held-out indices, model)``."""
    from diagnose.roadmap import themes

    corpus = themes.load_corpus()
    seen: dict[tuple[str, ...], int] = {}
    train, held = [], []
    for i, label in enumerate(corpus.labels):
        seen[label] = seen.get(label, 0) + 1
        (held if seen[label] % 8 == 0 else train).append(i)
    return held, themes.train(corpus, indices=train)
