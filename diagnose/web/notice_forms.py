"""Forms of the notices and of a request followed to the visit (``web/owner.py``,
``web/visits.py``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from .. import inputs
from ..services import mail
from .forms import TextLimits, _honeypot, _strip


def _email_ok(_form, field) -> None:
    from wtforms.validators import ValidationError

    if field.data and not mail.valid_email(field.data):
        raise ValidationError(_l("Enter an email address, e.g. name@example.com."))


class OwnerEmailForm(FlaskForm):
    """An owner asks for their link (and later notices) by e-mail: optional, with consent."""

    email = StringField(
        _l("Email"),
        validators=[DataRequired(_l("Enter an email address, e.g. name@example.com.")), _email_ok],
        filters=[_strip],
    )
    consent = BooleanField(
        _l(
            "Send me this link and news of my request (a consultant assigned, a visit, the "
            "confirmed roadmap) at this address. The address is kept with my answers and "
            "deleted with them."
        ),
        validators=[InputRequired(_l("Tick the box to receive mails."))],
    )
    website = _honeypot()


class LostLinkForm(FlaskForm):
    email = StringField(
        _l("The email address you gave"),
        validators=[DataRequired(_l("Enter an email address, e.g. name@example.com.")), _email_ok],
        filters=[_strip],
    )
    website = _honeypot()


class VisitForm(FlaskForm):
    visit_on = DateField(_l("Visit date"), validators=[InputRequired(_l("Choose a date."))])
    visit_time = TimeField(_l("Time"), validators=[InputRequired(_l("Choose a time."))])
    visit_place = StringField(
        _l("Place"),
        validators=[
            DataRequired(_l("Enter where the visit takes place.")),
            TextLimits(inputs.PROFILE_TEXT_MAX),
        ],
        filters=[_strip],
    )


def close_reasons():
    return [
        ("done", _l("Done")),
        ("duplicate", _l("Duplicate")),
        ("unreachable", _l("Unreachable")),
        ("declined", _l("Declined")),
    ]


class CloseForm(FlaskForm):
    reason = SelectField(_l("Reason"), choices=close_reasons(), default="done")


class PromiseForm(FlaskForm):
    answer_days = IntegerField(
        _l("Our promise: answer within (business days)"),
        validators=[
            InputRequired(_l("Enter a number of business days.")),
            NumberRange(1, 30, _l("Enter a number between 1 and 30.")),
        ],
    )
