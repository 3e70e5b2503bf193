"""WTForms classes built at run time from a questionnaire.

Each questionnaire field type knows how to become a WTForms field and how to check an answer
(``questionnaire/types.py``, as Indico builds survey forms). Messages are human sentences in
the UI language. Every value a person typed is kept as typed, valid or not, so a page
re-rendered with errors loses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    PasswordField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Optional, StopValidation, ValidationError

from .. import inputs
from ..diagnosis.explanations import TRACK_NAMES
from ..questionnaire.schema import Dimension, Item, ProfileField, Questionnaire
from ..questionnaire.types import (
    MultiCheckboxField,
    _strip,
    check_email,
    check_phone,
    item_problem,
    ui_language,  # noqa: F401  (the pages find the UI language here)
)

NOTE_SUFFIX = "__note"


class TextLimits:
    """The length and characters every stored text obeys (``diagnose.inputs``).

    The one check an autosave applies too: a draft keeps whatever was typed, but not a
    megabyte of it, nor characters that cannot be stored.
    """

    def __init__(self, max_length: int, multiline: bool = False):
        self.max_length, self.multiline = max_length, multiline
        self.field_flags = {"maxlength": max_length}  # the browser stops typing there too

    def __call__(self, _form: Any, field: Field) -> None:
        values = field.data if isinstance(field.data, list) else [field.data]
        for value in values:
            if isinstance(value, str) and (
                problem := inputs.text_problem(value, self.max_length, self.multiline)
            ):
                raise StopValidation(problem)


def limit_errors(form: FlaskForm) -> dict[str, list[str]]:
    """Only the ``TextLimits`` problems of a form, by field name (what an autosave refuses)."""
    errors: dict[str, list[str]] = {}
    for field in form:
        for validator in field.validators:
            if isinstance(validator, TextLimits):
                try:
                    validator(form, field)
                except StopValidation as problem:
                    errors.setdefault(field.name, []).append(str(problem))
    return errors


class LoginForm(FlaskForm):
    email = StringField(
        _l("Email"),
        validators=[DataRequired(_l("Enter your email.")), TextLimits(inputs.PROFILE_TEXT_MAX)],
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Enter your password.")), TextLimits(1000)]
    )


TRACK_CHOICES = [SelectChoice(track, name) for track, name in TRACK_NAMES.items()]


class DecisionForm(FlaskForm):
    """Confirm the model's track, or choose another one and say why."""

    final_track = RadioField(
        _l("Track"),
        choices=TRACK_CHOICES,
        validators=[DataRequired(_l("Choose a track."))],
    )
    reason = TextAreaField(
        _l("Reason"), validators=[Optional(), TextLimits(inputs.REASON_MAX, multiline=True)]
    )


# --- profile ---------------------------------------------------------------------------------


class Checked:
    """A field's value through its type's check (``questionnaire.types``): the messages of
    the pages and of the JSON API are the same."""

    def __init__(self, check):
        self.check = check

    def __call__(self, _form: Any, field: Field) -> None:
        if field.data and (problem := self.check(field.data)) is not None:
            raise ValidationError(problem)


def _profile_field(spec: ProfileField, lang: str) -> Field:
    kind = spec.kind
    return kind.form_field(
        lang,
        [
            *([TextLimits(kind.text_limit)] if kind.text_limit else []),
            DataRequired(kind.required_message) if spec.required else Optional(),
            Checked(kind.check),
        ],
    )


def profile_form_class(
    questionnaire: Questionnaire, lang: str, fields: Sequence[str] | None = None
) -> type[FlaskForm]:
    """A form with one field per profile field of the questionnaire, in its order (only
    ``fields`` when given: a self-assessment asks a few per screen)."""
    attrs = {
        spec.id: _profile_field(spec, lang)
        for spec in questionnaire.profile
        if fields is None or spec.id in fields
    }
    attrs["specs"] = {spec.id: spec for spec in questionnaire.profile}
    return type("ProfileForm", (FlaskForm,), attrs)


def profile_values(form: FlaskForm) -> dict[str, str]:
    """The profile as stored: business numbers without dashes, everything else as typed."""
    return {
        name: form.specs[name].kind.stored(field.data) if field.data else ""
        for name, field in form._fields.items()
        if name != "csrf_token"
    }


# --- dimension sections ----------------------------------------------------------------------


class ItemChecked:
    """An item's answer through its type's check (``questionnaire.types.item_problem``):
    text that cannot be stored, an answer missing while the item is shown (skip logic may
    hide it), an option or a number that is not allowed. The same check as the JSON API's."""

    def __init__(self, item: Item):
        self.item = item
        self.field_flags = {"required": True} if item.required else {"optional": True}

    def __call__(self, form: SectionForm, field: Field) -> None:
        problem = item_problem(self.item, field.data, form.context_answers, field.raw_data)
        if problem is not None:
            raise StopValidation(problem)


class SectionForm(FlaskForm):
    """Base class of the generated per-dimension forms."""

    # Answers of the whole assessment with this page's overlaid: skip logic may look at
    # items on other pages.
    context_answers: Mapping[str, Any] = {}
    dimension: Dimension
    items: tuple[Item, ...] = ()
    with_notes = True  # a consultant's note beside each answer; a firm owner writes none

    def answer_fields(self):
        for item in self.items:
            note = self[item.id + NOTE_SUFFIX] if self.with_notes else None
            yield item, self[item.id], note

    def answers(self) -> dict[str, Any]:
        """The answers on this page as stored: option value(s), number text, or text."""
        return {item.id: item.kind.stored(field.data) for item, field, _ in self.answer_fields()}

    def notes(self) -> dict[str, str]:
        return {
            item.id: (note.data or "").strip()
            for item, _, note in self.answer_fields()
            if note is not None
        }


def _item_field(item: Item, lang: str) -> Field:
    limit = item.kind.text_limit
    return item.kind.form_field(lang, [*([TextLimits(*limit)] if limit else []), ItemChecked(item)])


def section_form_class(
    dimension: Dimension, lang: str, items: Sequence[str] | None = None, notes: bool = True
) -> type[SectionForm]:
    """A form for one dimension: a field per item and a note field beside each.

    ``items`` keeps only those items (a self-assessment screen); ``notes=False`` leaves
    the notes out (a firm owner answers, no one takes notes).
    """
    chosen = tuple(i for i in dimension.items if items is None or i.id in items)
    attrs: dict[str, Any] = {"dimension": dimension, "items": chosen, "with_notes": notes}
    for item in chosen:
        attrs[item.id] = _item_field(item, lang)
        if notes:
            attrs[item.id + NOTE_SUFFIX] = TextAreaField(
                _l("Note"), validators=[Optional(), TextLimits(inputs.NOTE_MAX, multiline=True)]
            )
    return type(f"SectionForm_{dimension.id}", (SectionForm,), attrs)


# --- a firm owner's self-assessment ----------------------------------------------------------


class Honeypot:
    """A field people never see (hidden by the stylesheet) and bots fill in: a form that
    comes back with it filled was not sent by a person."""

    def __call__(self, _form: Any, field: Field) -> None:
        if field.data:
            raise StopValidation(_l("This form could not be sent. Reload the page and try again."))


def _honeypot() -> StringField:
    return StringField(_l("Leave this field empty"), validators=[Honeypot()])


class StartForm(FlaskForm):
    """The start of a self-assessment: the owner's consent to what is kept, and why."""

    consent = BooleanField(
        _l("I agree to the collection and use of the information above."),
        validators=[
            DataRequired(_l("Agree to the collection and use of the information to start."))
        ],
    )
    website = _honeypot()


class ConsultantRequestForm(FlaskForm):
    """A firm owner asks the regional center for a consultant: whom to reach, and consent."""

    contact_name = StringField(
        _l("Your name"),
        validators=[
            DataRequired(_l("Enter the name of the person the center should ask for.")),
            TextLimits(inputs.PROFILE_TEXT_MAX),
        ],
        filters=[_strip],
    )
    contact_phone = StringField(
        _l("Phone"),
        validators=[
            Optional(),
            TextLimits(inputs.PROFILE_TEXT_MAX),
            Checked(check_phone),
        ],
        filters=[_strip, inputs.digits_normalised],
    )
    contact_email = StringField(
        _l("Email"),
        validators=[
            Optional(),
            TextLimits(inputs.PROFILE_TEXT_MAX),
            Checked(check_email),
        ],
        filters=[_strip],
    )
    message = TextAreaField(
        _l("Anything the consultant should know (optional)"),
        validators=[Optional(), TextLimits(inputs.REASON_MAX, multiline=True)],
    )
    consent = BooleanField(
        _l("I agree that the center keeps these contact details to arrange the consultation."),
        validators=[
            DataRequired(_l("Agree to the use of your contact details to send the request."))
        ],
    )
    website = _honeypot()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.contact_phone.data or self.contact_email.data):
            self.contact_phone.errors = [
                *self.contact_phone.errors,
                _l("Give a phone number or an email address."),
            ]
            valid = False
        return valid


class ConfirmForm(FlaskForm):
    """A submission that cannot be undone, confirmed."""

    confirm = BooleanField(
        _l("I have checked the answers. Once submitted they cannot be changed."),
        validators=[DataRequired(_l("Confirm that you have checked the answers."))],
    )


def form_data(dimension: Dimension, answers: Mapping[str, Any], notes: Mapping[str, str]):
    """Stored answers and notes as the ``data`` a section form starts from."""
    data: dict[str, Any] = {}
    for item in dimension.items:
        data[item.id] = item.kind.form_value(answers.get(item.id))
        data[item.id + NOTE_SUFFIX] = notes.get(item.id, "")
    return data


class TaskThemesForm(FlaskForm):
    """A consultant sets the one or two AI use-case themes of a firm's stated task."""

    themes = MultiCheckboxField(_l("Kind of AI work"))

    def validate_themes(self, field) -> None:
        if not 1 <= len(field.data or []) <= 2:
            raise ValidationError(_l("Choose one or two kinds of AI work."))
