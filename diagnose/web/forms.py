"""WTForms classes built at run time from a questionnaire.

Each questionnaire field type knows how to become a WTForms field (as Indico builds survey
forms). Messages are human sentences in the UI language. Every value a person typed is kept
as typed, valid or not, so a page re-rendered with errors loses nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Optional, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from .. import business_number
from ..diagnosis.explanations import TRACK_NAMES
from ..diagnosis.scoring import NOT_APPLICABLE, is_visible, parse_number
from ..questionnaire.schema import Dimension, Item, ProfileField, Questionnaire
from ..services import inputs

NOTE_SUFFIX = "__note"
_PHONE = re.compile(r"^\+?[0-9][0-9\-\s]{6,18}[0-9]$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class TextLimits:
    """The length and characters every stored text obeys (``services.inputs``).

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


def _required_message(kind: str) -> Any:
    return _l("Choose one.") if kind == "choice" else _l("This field is required.")


def _valid_business_number(_form: Any, field: Field) -> None:
    if not field.data:
        return
    digits = business_number.normalise(field.data)
    if not re.fullmatch(r"\d{10}", digits):
        raise ValidationError(
            _l("A business registration number has 10 digits (e.g. 123-45-67891).")
        )
    if not business_number.is_valid(digits):
        raise ValidationError(
            _l("This business registration number is not valid: check the digits.")
        )


def _integer_between(low: int | None, high: int | None):
    def check(_form: Any, field: Field) -> None:
        if not field.data:
            return
        text = str(field.data).strip().replace(",", "")
        if not re.fullmatch(r"\d+", text):
            raise ValidationError(_l("Enter a whole number, digits only."))
        number = int(text)
        if (low is not None and number < low) or (high is not None and number > high):
            raise ValidationError(
                _l("Enter a number from %(low)s to %(high)s.", low=low, high=high)
            )

    return check


def _matches(pattern: re.Pattern[str], message: Any):
    def check(_form: Any, field: Field) -> None:
        if field.data and not pattern.match(field.data.strip()):
            raise ValidationError(message)

    return check


def _profile_field(spec: ProfileField, lang: str) -> Field:
    label = spec.label.get(lang)
    description = spec.help.get(lang) if spec.help else ""
    validators: list[Any] = [
        DataRequired(_required_message(spec.type)) if spec.required else Optional()
    ]
    if spec.type == "choice":
        choices = [SelectChoice("", _l("— choose —"))] + [
            SelectChoice(c.value, c.label.get(lang)) for c in spec.choices
        ]
        validators.append(_one_of({c.value for c in spec.choices}))
        return SelectField(
            label,
            choices=choices,
            validators=validators,
            description=description,
            validate_choice=False,
        )
    extra = {
        "business_number": [_valid_business_number],
        "integer": [_integer_between(spec.min, spec.max)],
        "phone": [_matches(_PHONE, _l("Enter a phone number, e.g. 02-1234-5678."))],
        "email": [_matches(_EMAIL, _l("Enter an email address, e.g. name@example.com."))],
        "text": [],
    }[spec.type]
    # Digits typed in full width (２２０…) are the same digits: normalised before any check.
    filters = [_strip] + (
        [inputs.digits_normalised] if spec.type in ("business_number", "integer", "phone") else []
    )
    return StringField(
        label,
        validators=[TextLimits(inputs.PROFILE_TEXT_MAX), *validators, *extra],
        description=description,
        filters=filters,
    )


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _one_of(allowed: set[str]):
    def check(_form: Any, field: Field) -> None:
        if field.data and field.data not in allowed:
            raise ValidationError(_l("Choose one of the options."))

    return check


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
    return type("ProfileForm", (FlaskForm,), attrs)


def profile_values(form: FlaskForm) -> dict[str, str]:
    """The profile as stored: business numbers without dashes, everything else as typed."""
    values = {
        name: (field.data or "") for name, field in form._fields.items() if name != "csrf_token"
    }
    if values.get("business_number") and business_number.is_valid(values["business_number"]):
        values["business_number"] = business_number.normalise(values["business_number"])
    return values


# --- dimension sections ----------------------------------------------------------------------


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AnswerRequired:
    """Required only while the item is shown: skip logic may hide it."""

    field_flags = {"required": True}

    def __init__(self, item: Item):
        self.item = item

    def __call__(self, form: SectionForm, field: Field) -> None:
        if not is_visible(self.item, form.context_answers):
            field.errors[:] = []
            raise StopValidation()
        if field.data in (None, "", []):
            if self.item.type == "multi":
                message = (
                    _l("Choose at least one option, or 'not applicable'.")
                    if self.item.allow_na
                    else _l("Choose at least one option.")
                )
            elif self.item.type == "single":
                message = _l("Choose an answer.")
            else:
                message = _l("This answer is required.")
            raise StopValidation(message)


class ValidAnswer:
    """The answer is one of the item's options, or a number in range."""

    def __init__(self, item: Item):
        self.item = item

    def __call__(self, form: SectionForm, field: Field) -> None:
        item, data = self.item, field.data
        if item.type == "single" and len(field.raw_data or []) > 1:
            raise ValidationError(_l("Choose only one answer."))
        if data in (None, "", []) or not is_visible(item, form.context_answers):
            return  # a hidden item's answer is ignored, whatever it holds
        if item.type == "multi" and len(set(data)) != len(data):
            raise ValidationError(_l("Each option can be chosen only once."))
        if item.type == "multi" and len(data) > inputs.OPTIONS_MAX:
            raise ValidationError(_l("Choose from the options shown."))
        allowed = {o.value for o in item.options} | ({NOT_APPLICABLE} if item.allow_na else set())
        if item.type == "single" and data not in allowed:
            raise ValidationError(_l("Choose one of the options."))
        if item.type == "multi":
            if not set(data) <= allowed:
                raise ValidationError(_l("Choose from the options shown."))
            exclusive = {o.value for o in item.options if o.exclusive} | {NOT_APPLICABLE}
            if len(data) > 1 and set(data) & exclusive:
                raise ValidationError(
                    _l(
                        "'%(option)s' cannot be combined with other answers.",
                        option=_exclusive_label(item, set(data) & exclusive),
                    )
                )
        if item.type == "number" and data != NOT_APPLICABLE:
            number = parse_number(data)
            if number is None:
                raise ValidationError(_l("Enter a number, digits only."))
            if not item.min <= number <= item.max:
                raise ValidationError(
                    _l(
                        "Enter a number from %(low)s to %(high)s.",
                        low=_plain(item.min),
                        high=_plain(item.max),
                    )
                )


def _plain(number: float) -> str:
    return f"{number:g}"


def _exclusive_label(item: Item, values: set[str]) -> str:
    option = item.option(sorted(values)[0])
    return option.label.get(ui_language()) if option else gettext("Not applicable")


def ui_language() -> str:
    locale = get_locale()
    return locale.language if locale else "ko"


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
        return {item.id: stored_value(item, field.data) for item, field, _ in self.answer_fields()}

    def notes(self) -> dict[str, str]:
        return {
            item.id: (note.data or "").strip()
            for item, _, note in self.answer_fields()
            if note is not None
        }


def _item_field(item: Item, lang: str) -> Field:
    label = item.question.get(lang)
    validators = ([AnswerRequired(item)] if item.required else [Optional()]) + [ValidAnswer(item)]
    if item.type in ("single", "multi"):
        choices = [SelectChoice(o.value, o.label.get(lang)) for o in item.options]
        if item.allow_na:
            choices.append(SelectChoice(NOT_APPLICABLE, _l("Not applicable")))
        cls = RadioField if item.type == "single" else MultiCheckboxField
        return cls(label, choices=choices, validators=validators, validate_choice=False)
    if item.type == "number":
        return StringField(
            label,
            validators=[TextLimits(inputs.PROFILE_TEXT_MAX), *validators],
            filters=[_strip, inputs.digits_normalised],
        )
    return TextAreaField(
        label, validators=[TextLimits(inputs.TEXT_ANSWER_MAX, multiline=True), *validators]
    )


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
            _matches(_PHONE, _l("Enter a phone number, e.g. 02-1234-5678.")),
        ],
        filters=[_strip, inputs.digits_normalised],
    )
    contact_email = StringField(
        _l("Email"),
        validators=[
            Optional(),
            TextLimits(inputs.PROFILE_TEXT_MAX),
            _matches(_EMAIL, _l("Enter an email address, e.g. name@example.com.")),
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


def stored_value(item: Item, data: Any) -> Any:
    """A multi item marked only "not applicable" is stored as the plain marker."""
    if item.type == "multi" and data == [NOT_APPLICABLE]:
        return NOT_APPLICABLE
    return data


def form_data(dimension: Dimension, answers: Mapping[str, Any], notes: Mapping[str, str]):
    """Stored answers and notes as the ``data`` a section form starts from."""
    data: dict[str, Any] = {}
    for item in dimension.items:
        value = answers.get(item.id)
        if item.type == "multi" and value is not None and not isinstance(value, list):
            value = [value]
        data[item.id] = value
        data[item.id + NOTE_SUFFIX] = notes.get(item.id, "")
    return data


# --- a whole submission at once (the JSON API) -----------------------------------------------


def check_submission(
    questionnaire: Questionnaire, profile: Mapping[str, Any], answers: Mapping[str, Any]
) -> tuple[dict[str, str], dict[str, Any], list[dict[str, str]]]:
    """Validate a profile and answers with the same forms as the interview.

    The values are already of the right JSON types (``services.schemas``). Answers to items
    that the other answers hide are dropped, whatever they hold. Returns ``(profile, answers,
    errors)``; ``errors`` is a list of ``{field, message}`` with fields named ``profile.<id>``
    and ``answers.<item id>``, in the UI language.
    """
    from werkzeug.datastructures import MultiDict

    lang = ui_language()
    errors: list[dict[str, str]] = []
    no_csrf = {"csrf": False}
    profile_form = profile_form_class(questionnaire, lang)(
        formdata=MultiDict({k: "" if v is None else str(v) for k, v in profile.items()}),
        meta=no_csrf,
    )
    if not profile_form.validate():
        errors += [
            {"field": f"profile.{name}", "message": str(message)}
            for name, messages in profile_form.errors.items()
            for message in messages
        ]
    formdata = MultiDict()
    for item_id, value in answers.items():
        for v in value if isinstance(value, list) else [value]:
            if v is not None:
                formdata.add(item_id, str(v))
    clean: dict[str, Any] = {}
    forms = [
        section_form_class(d, lang)(formdata=formdata, meta=no_csrf)
        for d in questionnaire.dimensions
    ]
    for form in forms:
        clean.update({k: v for k, v in form.answers().items() if v not in (None, "", [])})
    clean = visible_answers(questionnaire, clean)
    for form in forms:
        form.context_answers = clean
        if not form.validate():
            errors += [
                {"field": f"answers.{name}", "message": str(message)}
                for name, messages in form.errors.items()
                for message in messages
            ]
    return profile_values(profile_form), clean, errors


def visible_answers(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers to items that the other answers leave shown (hidden ones are ignored)."""
    shown = dict(answers)
    while True:
        hidden = [i.id for i in questionnaire.items() if i.id in shown and not is_visible(i, shown)]
        if not hidden:
            return shown
        for item_id in hidden:
            del shown[item_id]


class TaskThemesForm(FlaskForm):
    """A consultant sets the one or two AI use-case themes of a firm's stated task."""

    themes = MultiCheckboxField(_l("Kind of AI work"))

    def validate_themes(self, field) -> None:
        if not 1 <= len(field.data or []) <= 2:
            raise ValidationError(_l("Choose one or two kinds of AI work."))
