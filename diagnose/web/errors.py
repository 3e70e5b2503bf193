"""Error pages in the user's language, as pages for people and as JSON for the API."""

from __future__ import annotations

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from ..services.submissions import ModelUnavailable


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.headers.get("X-Requested-With") == "fetch"


def _message(code: int) -> str:
    from flask_login import current_user

    return {
        400: _("The request could not be understood."),
        403: _("You may not open this page."),
        # Centers mean nothing to a firm owner, whose links expire.
        404: _("This page does not exist, or it belongs to another center.")
        if current_user and current_user.is_authenticated
        else _("This page does not exist, or its link has expired."),
        405: _("This page cannot be used that way."),
        413: _("What was sent is larger than this service accepts."),
        429: _("Too many requests from this address. Wait a few minutes and try again."),
        503: _(
            "Diagnoses cannot be made at the moment (no track model is loaded). Everything "
            "entered is kept: try again later."
        ),
    }.get(code, _("Something went wrong on our side. Please try again in a moment."))


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_refused(_error):
        return render_template("csrf_error.html"), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        if _wants_json():
            response = jsonify(error=error.name.lower().replace(" ", "_"), message=_message(code))
        else:
            response = make_response(
                render_template("error.html", code=code, message=_message(code))
            )
        response.status_code = code
        # what the error says beside its page stays with it: Allow on a 405 (RFC 9110)
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(ModelUnavailable)
    def no_model(_error):
        """The app runs without a track model: say so, and keep every answer as it is."""
        if _wants_json():
            return jsonify(error="model_unavailable", message=_message(503)), 503
        return render_template("error.html", code=503, message=_message(503)), 503

    @app.errorhandler(InternalServerError)
    def unexpected(error: InternalServerError):
        """A bug (Flask has logged its traceback): the user gets a page in their language."""
        return http_error(error)
