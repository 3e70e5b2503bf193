"""diagnose: AI-training needs diagnosis and training roadmaps for small firms."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, request, session
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from . import config as config_module
from . import storage
from .i18n import compile_catalogues
from .questionnaire.schema import load_catalogue
from .roadmap.catalogue import load_roadmap_data

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


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    instance = Path(
        (test_config or {}).get("INSTANCE_PATH") or config_module.instance_path()
    ).resolve()
    instance.mkdir(parents=True, exist_ok=True)
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
        app.extensions["roadmap_data"] = load_roadmap_data(
            config_module.PROJECT_ROOT / "roadmap_templates",
            {d.id for d in target.dimensions},
            {c.value for c in target.profile_field("region").choices},
        )

    compile_catalogues(Path(app.config["BABEL_TRANSLATION_DIRECTORIES"]))
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)

    from .diagnosis.model import TrackModel
    from .diagnosis.store import current_model_path

    try:
        app.extensions["track_model"] = (
            TrackModel.load(current_model_path(Path(app.instance_path) / "models"))
            if app.config.get("TRACK_MODEL", True)  # a queue consumer renders, never predicts
            else None
        )
    except FileNotFoundError:  # only before the first `flask model train --ship`
        logging.getLogger(__name__).warning("no trained track model: diagnoses are disabled")
        app.extensions["track_model"] = None

    from . import auth, demo
    from .assessments import register_questionnaires

    def on_ready(db):
        register_questionnaires(db, app.extensions["questionnaires"])
        if app.config["DEMO_DATA"]:
            demo.seed(db, app)

    storage.init_app(app, on_ready)
    auth.init_app(app)

    from . import jobs

    jobs.init_app(app)  # the task queue: reports are rendered by its consumers

    from .limits import limiter
    from .web import api, consultant, errors, public

    app.register_blueprint(auth.bp)
    app.register_blueprint(consultant.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # bearer tokens, never the session cookie: nothing to forge
    limiter.init_app(app)
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
