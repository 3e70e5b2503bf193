"""diagnose: AI-training needs diagnosis and training roadmaps for small firms."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import Any

from flask import Flask, request, session
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from . import config as config_module
from . import storage
from .i18n import check_compiled, resolve_particles
from .questionnaire.schema import load_catalogue
from .roadmap.catalogue import RoadmapData, load_roadmap_data

LANGUAGES = ("ko", "en")
ROADMAP_QUESTIONNAIRE = "ai_training_needs"
csrf = CSRFProtect()
babel = Babel()


def select_locale() -> str:
    """``?lang=`` wins and is remembered for the session; Korean is the default."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
        return asked
    if request.blueprint == "api":  # no session for API callers: their header decides
        return request.accept_languages.best_match(LANGUAGES) or "ko"
    return session.get("lang") or "ko"


# What every app of a process shares once it is read (a test session builds hundreds of apps;
# a web server one per worker): keyed by the files' contents, so an edited file is read again.
_ROADMAP_DATA: dict[tuple, tuple[Any, RoadmapData]] = {}
_TRACK_MODELS: dict[tuple, Any] = {}


def _file_digests(paths) -> tuple[tuple[str, str], ...]:
    return tuple((str(p), hashlib.sha256(p.read_bytes()).hexdigest()) for p in sorted(paths))


def _roadmap_data(folder: Path, target) -> RoadmapData:
    """The catalogue, registry and level texts checked against ``target``: read once per
    process for the same files and questionnaire (the models are frozen)."""
    key = (_file_digests(folder.glob("*.yaml")), target.key)
    cached = _ROADMAP_DATA.get(key)
    if cached is None or not (cached[0] is target or cached[0] == target):
        data = load_roadmap_data(
            folder,
            {d.id for d in target.dimensions},
            {c.value for c in target.profile_field("region").choices},
            target,
        )
        cached = _ROADMAP_DATA[key] = (target, data)
    return cached[1]


def _track_model_at(path: Path):
    """``TrackModel.load``, once per process for the same model files (prediction reads the
    model, never changes it)."""
    from .diagnosis.model import TrackModel

    key = _file_digests([path, path.with_suffix(".json")])
    if key not in _TRACK_MODELS:
        _TRACK_MODELS[key] = TrackModel.load(path)
    return _TRACK_MODELS[key]


def _load_track_model(instance_models: Path):
    """The instance's own model, else the one shipped with the app; None before any exists.

    A model the instance trained with an earlier design (before the two-stage model) is set
    aside with a warning: the shipped model serves until the instance retrains.
    """
    from .diagnosis.store import SHIPPED_MODELS, current_model_path

    log = logging.getLogger(__name__)
    try:
        return _track_model_at(current_model_path(instance_models))
    except FileNotFoundError:  # only before the first `flask model train --ship`
        log.warning("no trained track model: diagnoses are disabled")
        return None
    except ValueError as exc:
        log.warning("the instance's model cannot be used (%s); using the shipped model", exc)
    try:
        return _track_model_at(current_model_path(SHIPPED_MODELS))
    except (FileNotFoundError, ValueError) as exc:
        log.warning("no usable track model (%s): diagnoses are disabled", exc)
        return None


class _Extensions(dict):
    """The app's extensions, with ``track_model`` read on its first use (and kept): the
    instance's model, else the shipped one, or None when there is none or the app was made
    with ``TRACK_MODEL`` false (a queue consumer renders, never predicts). Setting the key
    (a test's ``None``) replaces it as in any dict."""

    def __init__(self, app: Flask, *args: Any):
        super().__init__(*args)
        self._app = app
        self._lock = threading.Lock()

    def __missing__(self, key: str) -> Any:
        if key != "track_model":
            raise KeyError(key)
        with self._lock:  # two threads of a worker asking at once read the files once
            if key not in self:
                self[key] = (
                    _load_track_model(Path(self._app.instance_path) / "models")
                    if self._app.config.get("TRACK_MODEL", True)
                    else None
                )
            return dict.__getitem__(self, key)


def register_tasks(queue, config: dict[str, Any], instance: Path, app) -> None:
    """Give the queue its tasks, in the web app and in a consumer alike: each service that
    owns a task registers it (``app`` builds the app a task needs, on its first call)."""
    from . import maintenance
    from .services import batch, mailing, reports

    reports.register_tasks(queue, config, instance, app)
    batch.register_tasks(queue, app)
    mailing.register_tasks(queue, app)  # send_mail: notices by e-mail
    maintenance.register(queue, config, instance)  # the nightly backup and purge


def _static_view(app: Flask):
    """Flask's own static-file view, as a function that can carry a declared right."""
    send = app.view_functions["static"]

    def static(filename: str):
        return send(filename=filename)

    return static


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    instance = Path(
        (test_config or {}).get("INSTANCE_PATH") or config_module.instance_path()
    ).resolve()
    # Firms' data lives in the instance folder (database, cached reports, keys): nobody but
    # the app's own user reads it. New files get 0600 and folders 0700 from here on.
    os.umask(0o077)
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    instance.chmod(0o700)
    app = Flask(
        __name__,
        instance_path=str(instance),
        static_folder=str(config_module.PROJECT_ROOT / "static"),
    )
    app.config.from_mapping(config_module.from_environment(instance))
    if test_config:
        app.config.update(test_config)
        # Tests run queue tasks inline unless they start a consumer of their own.
        if app.config.get("TESTING") and "QUEUE_IMMEDIATE" not in test_config:
            app.config["QUEUE_IMMEDIATE"] = True
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from .logs import install_filter

    install_filter()  # result-link tokens never reach the development server's log

    # An invalid questionnaire stops the start here, listing every problem in it.
    app.extensions["questionnaires"] = load_catalogue(
        app.config["QUESTIONNAIRES"], app.config["QUESTIONNAIRE_ID"]
    )

    # The catalogue speaks of the dimensions and regions of the AI-training questionnaire;
    # an app serving only another questionnaire (a test's) has no roadmaps.
    questionnaires = app.extensions["questionnaires"]
    app.extensions["roadmap_data"] = None
    if any(qid == ROADMAP_QUESTIONNAIRE for qid, _v in questionnaires.versions):
        target = questionnaires.latest(ROADMAP_QUESTIONNAIRE)
        app.extensions["roadmap_data"] = _roadmap_data(
            config_module.PROJECT_ROOT / "roadmap_templates", target
        )

    # compiled at install (python -m diagnose.i18n): a missing catalogue stops the start here
    check_compiled(Path(app.config["BABEL_TRANSLATION_DIRECTORIES"]))
    babel.init_app(app, locale_selector=select_locale)
    resolve_particles(app, babel)
    csrf.init_app(app)

    # The track model is read on its first use (``_Extensions``): reading it imports
    # scikit-learn and SciPy (1.5 s and about 115 MB of a 205 MB start), which a command such
    # as `flask export` or `flask backup`, or a queue consumer, never needs.
    app.extensions = _Extensions(app, app.extensions)

    from . import auth, demo
    from .records.questionnaire_versions import register_questionnaires

    def on_ready(db):
        register_questionnaires(db, app.extensions["questionnaires"])
        if app.extensions["roadmap_data"] is not None:
            from .services import registry

            registry.seed(db, app.extensions["roadmap_data"])  # the files' entries, if new
        if app.config["DEMO_DATA"]:
            demo.seed(db, app)

    storage.init_app(app, on_ready)
    auth.init_app(app)
    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Only as many forwarding proxies as are really in front: a client cannot claim an
        # address (X-Forwarded-For) or https (X-Forwarded-Proto) past them.
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    from . import jobs

    jobs.init_app(app)  # the task queue: reports are rendered by its consumers
    from .services import mailing

    mailing.init_app(app)  # notices by e-mail, sent from the outbox on the queue

    from .limits import limiter
    from .web import admin, api, center, consultant, errors, login, public, self_assessment
    from .web.ids import IdConverter

    app.url_map.converters["int"] = IdConverter  # ids past SQLite's INTEGER are a 404
    from .web import cohorts as _cohort_pages  # noqa: F401  (pages on the center blueprint)
    from .web import kpi as _kpi_pages  # noqa: F401  (pages on the center blueprint)

    app.register_blueprint(login.bp)  # /login, /logout (the auth blueprint)
    app.register_blueprint(consultant.bp)
    app.register_blueprint(center.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(self_assessment.bp)
    app.register_blueprint(api.bp)
    from .web import owner, visits

    app.register_blueprint(visits.bp)  # a request followed to the visit; the outbox
    app.register_blueprint(owner.bp)  # the owner's link by e-mail, and on this device
    csrf.exempt(api.bp)  # bearer tokens, never the session cookie: nothing to forge
    from .services.access import Right, guard_request, requires

    # Every route declares its right (``@requires``); this one check enforces it.
    app.view_functions["static"] = requires(Right.PUBLIC)(_static_view(app))
    app.before_request(guard_request)
    limiter.init_app(app)
    if app.config["ENV_NAME"] == "production" and app.config["RATELIMIT_STORAGE_URI"].startswith(
        "memory://"
    ):
        logging.getLogger(__name__).warning(
            "rate limits count per worker process (memory://): with several workers set "
            "DIAGNOSE_RATELIMIT_STORAGE_URI to shared storage such as redis://"
        )
    errors.init_app(app)

    from . import cli, templating

    cli.init_app(app)
    templating.init_app(app)

    @app.context_processor
    def ui_context() -> dict[str, Any]:
        from .web.forms import ui_language

        return {"lang": ui_language(), "languages": LANGUAGES}

    @app.after_request
    def security_headers(response):
        from flask_login import current_user

        if app.config["HSTS"]:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        # Nothing a signed-in user or a result link's holder sees stays in a shared cache
        # or in the browser's history cache after logout.
        private = (
            current_user.is_authenticated
            or request.path.startswith(("/r/", "/api/v1/assessments"))
            or request.endpoint == "auth.login"
        )
        if private:
            response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'",
        )
        return response

    return app
