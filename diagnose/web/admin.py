"""People and shared data: logins (create, reset a password, revoke tokens, disable), the
center an administrator acts for, the shared-center registry and the training catalogue.

Center staff manage their own center's logins; administrators every center's, the registry
and the catalogue (``services.access``).
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from ..auth import ACTING_CENTER, LoginExists, new_password
from ..services import access, logins, registry
from ..services.access import Right, requires
from ..storage import get_db
from .center_forms import ActionForm, NewUserForm
from .forms import ui_language
from .ids import parse_id

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _centers() -> list[dict[str, Any]]:
    return logins.centers(get_db())


@bp.app_context_processor
def _acting_center_choices() -> dict[str, Any]:
    """The page header's center switch (administrators only; loaded when drawn)."""
    return {"all_centers": _centers}


# --- the acting center ---


@bp.route("/act", methods=["POST"])
@requires(Right.ADMIN)
def act():
    """An administrator chooses the center whose firms they see and work on."""
    if not ActionForm().validate_on_submit():
        abort(400)
    target = parse_id(request.form.get("center", ""))
    if target is None or not any(c["id"] == target for c in _centers()):
        abort(404)
    session[ACTING_CENTER] = target
    logins.act_for(get_db(), current_user, target)
    return redirect(url_for("center.dashboard_page"))


# --- logins ---


def _user_form() -> NewUserForm:
    from ..services.access import role_name

    form = NewUserForm()
    form.role.choices = [
        SelectChoice(r, role_name(r)) for r in access.assignable_roles(current_user)
    ]
    centers = (
        _centers()
        if current_user.is_administrator
        else [c for c in _centers() if c["id"] == current_user.home_center_id]
    )
    form.center.choices = [SelectChoice(str(c["id"]), c["name"]) for c in centers]
    if not form.center.data:
        form.center.data = str(current_user.center_id)
    return form


@bp.route("/users", methods=["GET", "POST"])
@requires(Right.STAFF)
def users():
    """The logins of the user's center (an administrator's: every center's)."""
    db = get_db()
    form = _user_form()
    created = None
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        password = new_password()
        try:
            logins.create_login(
                db,
                current_user,
                int(form.center.data),
                email,
                form.name.data.strip(),
                password,
                form.role.data,
                form.phone.data or "",
            )
        except LoginExists:  # there already, or created by another click at the same moment
            form.email.errors.append(_("A login with this email exists already."))
            status = 422
        else:
            created = {"email": email, "password": password}
            form = _user_form()
            form.email.data = form.name.data = form.phone.data = ""
    elif form.is_submitted():
        status = 422
    people = logins.logins_seen_by(db, current_user)
    return render_template(
        "admin/users.html",
        form=form,
        people=people,
        created=created,
        action=ActionForm(),
        role_name=access.role_name,
    ), status


def _target(user_id: int) -> dict[str, Any]:
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        return access.manageable_user(get_db(), current_user, user_id)
    except access.NotFound:
        abort(404)
    except access.Forbidden:
        abort(403)


def _unless_confirmed(question: str, button: str, danger: bool = False):
    """The confirmation page, unless this is its form coming back (``confirmed=yes``): a
    reset, a revocation or a disabling never happens on the first click."""
    if request.form.get("confirmed") == "yes":
        return None
    return render_template(
        "admin/confirm.html",
        question=question,
        button=button,
        danger=danger,
        action=request.path,
        form=ActionForm(),
    )


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@requires(Right.STAFF)
def reset_password(user_id: int):
    """A new password, shown once in this answer (never in the session cookie); the
    person's sessions end."""
    target = _target(user_id)
    asked = _unless_confirmed(
        _(
            "Reset the password of %(email)s? They are logged out everywhere and you are shown "
            "a new password once.",
            email=target["email"],
        ),
        _("Reset the password"),
    )
    if asked:
        return asked
    password = new_password()
    logins.reset_password(get_db(), current_user, target, password)
    return render_template("admin/password_reset.html", email=target["email"], password=password)


@bp.route("/users/<int:user_id>/tokens", methods=["POST"])
@requires(Right.STAFF)
def revoke_tokens(user_id: int):
    target = _target(user_id)
    asked = _unless_confirmed(
        _(
            "Revoke every API token of %(email)s? Integrations using them stop working.",
            email=target["email"],
        ),
        _("Revoke the tokens"),
    )
    if asked:
        return asked
    count = logins.revoke_tokens(get_db(), current_user, target)
    flash(_("%(n)s API tokens of %(email)s revoked.", n=count, email=target["email"]), "success")
    return redirect(url_for(".users"))


@bp.route("/users/<int:user_id>/disable", methods=["POST"])
@requires(Right.STAFF)
def disable(user_id: int):
    """Disable a login (a person who left): sessions end, tokens are revoked; their firms stay."""
    target = _target(user_id)
    if target["id"] == current_user.id:
        flash(_("You cannot disable your own login."), "error")
        return redirect(url_for(".users"))
    asked = _unless_confirmed(
        _(
            "Disable the login of %(email)s? Their sessions end and their API tokens are "
            "revoked; their firms stay.",
            email=target["email"],
        ),
        _("Disable the login"),
        danger=True,
    )
    if asked:
        return asked
    logins.disable(get_db(), current_user, target)
    flash(_("The login of %(email)s is disabled.", email=target["email"]), "success")
    return redirect(url_for(".users"))


@bp.route("/users/<int:user_id>/enable", methods=["POST"])
@requires(Right.STAFF)
def enable(user_id: int):
    target = _target(user_id)
    logins.enable(get_db(), current_user, target)
    flash(_("The login of %(email)s is enabled again.", email=target["email"]), "success")
    return redirect(url_for(".users"))


# --- the registry and the catalogue ---


@bp.route("/registry")
@requires(Right.ADMIN)
def registry_page():
    db = get_db()
    lang = ui_language()
    data = registry.current_data(db, current_app)
    region = current_app.extensions["questionnaires"].current.profile_field("region")
    return render_template(
        "admin/registry.html",
        centers=registry.center_entries(db),
        modules=registry.module_entries(db),
        # names, not ids ("physical_ai_lab", "gyeongnam"), in the reader's language
        kind_names=KIND_NAMES(),
        region_names={c.value: c.label.get(lang) for c in region.choices},
        route_names={r.id: r.name.get(lang) for r in data.catalogue.funding_routes} if data else {},
    )


TEXTS = ("name", "equipment", "bring", "send", "contact")


def _center_values(form) -> dict[str, Any]:
    return {
        "id": form.get("id", "").strip(),
        "kind": form.get("kind", ""),
        "region": form.get("region", ""),
        "serves_regions": form.getlist("serves_regions"),
        "specialisations": form.getlist("specialisations"),
        "sample": form.get("sample") == "on",
        **{
            t: {"ko": form.get(f"{t}_ko", "").strip(), "en": form.get(f"{t}_en", "").strip()}
            for t in TEXTS
        },
    }


def _center_page(
    values: dict[str, Any], errors: dict[str, list[str]], new: bool, status: int = 200
):
    data = registry.current_data(get_db(), current_app)
    questionnaire = current_app.extensions["questionnaires"].current
    lang = ui_language()
    return render_template(
        "admin/center_edit.html",
        values=values,
        errors=errors,
        new=new,
        regions=[
            (c.value, c.label.get(lang)) for c in questionnaire.profile_field("region").choices
        ],
        specialisations=[(s.id, s.name.get(lang)) for s in data.centers.specialisations],
        kinds=KIND_NAMES(),
        texts=TEXTS,
        text_names=TEXT_NAMES(),
        action=ActionForm(),
    ), status


def KIND_NAMES() -> dict[str, str]:  # noqa: N802
    return {
        "shared_training_center": _("AI shared training center"),
        "physical_ai_lab": _("Physical-AI lab"),
        "polytech": _("Polytechnics campus"),
    }


def TEXT_NAMES() -> dict[str, str]:  # noqa: N802
    return {
        "name": _("Name"),
        "equipment": _("Equipment and what trainees do"),
        "bring": _("What the firm brings"),
        "send": _("Whom the firm sends"),
        "contact": _("Contact"),
    }


@bp.route("/registry/centers/new", methods=["GET", "POST"])
@requires(Right.ADMIN)
def new_center():
    return _save_center(None)


@bp.route("/registry/centers/<center_id>", methods=["GET", "POST"])
@requires(Right.ADMIN)
def edit_center(center_id: str):
    return _save_center(center_id)


def _save_center(center_id: str | None):
    db = get_db()
    if request.method == "GET":
        if center_id is None:
            return _center_page({"sample": False}, {}, True)
        found = next((c for c in registry.center_entries(db) if c["id"] == center_id), None)
        if found is None:
            abort(404)
        return _center_page(found, {}, False)
    if not ActionForm().validate_on_submit():
        abort(400)
    values = _center_values(request.form)
    try:
        saved = registry.save_center(db, current_app, current_user, values, center_id)
    except registry.RegistryError as error:
        flash(_("The center is not saved: see the marked fields."), "error")
        return _center_page(values, error.errors, center_id is None, 422)
    except access.NotFound:
        abort(404)
    flash(_("Saved: %(id)s.", id=saved), "success")
    return redirect(url_for(".registry_page"))


@bp.route("/registry/modules/<module_id>", methods=["GET", "POST"])
@requires(Right.ADMIN)
def edit_module(module_id: str):
    db = get_db()
    data = registry.current_data(db, current_app)
    module = data.catalogue.by_id.get(module_id)
    if module is None:
        abort(404)
    values = module.model_dump(mode="json")
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400)
        form = request.form
        fee = form.get("fee_krw", "").strip().replace(",", "")
        share = form.get("subsidy_share", "").strip()
        values = {
            **values,
            "title": {
                "ko": form.get("title_ko", "").strip(),
                "en": form.get("title_en", "").strip(),
            },
            "summary": {
                "ko": form.get("summary_ko", "").strip(),
                "en": form.get("summary_en", "").strip(),
            },
            "hours": form.get("hours", "").strip(),
            "delivery": form.get("delivery", ""),
            "funding": form.get("funding", ""),
            "cost": {
                "fee_krw": fee or None,
                "subsidy_share": share or None,
                "source": {
                    "ko": form.get("source_ko", "").strip(),
                    "en": form.get("source_en", "").strip(),
                },
                "checked": form.get("checked", "").strip(),
            },
        }
        try:
            registry.save_module(db, current_app, current_user, module_id, values)
        except registry.RegistryError as error:
            errors, status = error.errors, 422
            flash(_("The module is not saved: see the marked fields."), "error")
        else:
            flash(_("Saved: %(id)s.", id=module_id), "success")
            return redirect(url_for(".registry_page"))
    lang = ui_language()
    from ..roadmap.report import DELIVERY_NAMES

    return render_template(
        "admin/module_edit.html",
        module_id=module_id,
        values=values,
        errors=errors,
        routes=[(r.id, r.name.get(lang)) for r in data.catalogue.funding_routes],
        deliveries=DELIVERY_NAMES(),
        action=ActionForm(),
    ), status
