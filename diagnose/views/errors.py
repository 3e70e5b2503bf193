"""Error pages in the user's language."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError


def init_app(app: Flask) -> None:
    @app.errorhandler(404)
    def not_found(_error):
        return render_template("error.html", code=404), 404

    @app.errorhandler(CSRFError)
    def csrf_refused(_error):
        return render_template("csrf_error.html"), 400

    @app.errorhandler(413)
    def too_large(_error):
        return render_template("error.html", code=413), 413
