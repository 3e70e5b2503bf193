"""Forms of the center's pages: the firm filter (shared by the list, the dashboard, exports and
batches), users, assignments, training records, the registry and the catalogue.

Messages are sentences in the UI language; a GET filter has no CSRF token (it changes
nothing), every POST form has one.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    DateField,
    DecimalField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, NumberRange, Optional, Regexp, ValidationError

from .. import inputs
from ..questionnaire.schema import Questionnaire
from ..records.firms import FIRM_SORTS, SIZE_BANDS, FirmFilter
from ..services.logins import consultants_of
from .forms import TRACK_CHOICES, TextLimits
from .ids import MAX_ID, parse_id

PER_PAGE = 50
MAX_PAGE = MAX_ID // PER_PAGE  # a page's offset must fit SQLite's INTEGER (else a 500)


def SIZE_NAMES() -> dict[str, Any]:  # noqa: N802  (a table in the UI language)
    return {
        "1_9": _l("1–9 employees"),
        "10_49": _l("10–49 employees"),
        "50_99": _l("50–99 employees"),
        "100_299": _l("100–299 employees"),
        "300_": _l("300 or more employees"),
    }


def SORT_NAMES() -> dict[str, Any]:  # noqa: N802
    return {
        "activity": _l("Latest activity"),
        "name": _l("Name"),
        "employees": _l("Employees"),
        "diagnosed": _l("Latest diagnosis"),
        "track": _l("Track"),
    }


class FirmFilterForm(FlaskForm):
    """The firm filter, from a GET query: the list, the dashboard, the exports and batches."""

    class Meta:
        csrf = False  # a GET filter changes nothing

    q = StringField(_l("Search firms"), validators=[Optional(), TextLimits(inputs.SEARCH_MAX)])
    state = SelectField(
        _l("Track or state"),
        choices=[
            SelectChoice("", _l("All firms")),
            *TRACK_CHOICES,
            SelectChoice("draft", _l("Diagnosis in progress")),
            SelectChoice("none", _l("Not yet diagnosed")),
        ],
        default="",
        validators=[Optional()],
    )
    industry = SelectField(_l("Industry"), default="", validators=[Optional()])
    size = SelectField(_l("Size"), default="", validators=[Optional()])
    region = SelectField(_l("Region"), default="", validators=[Optional()])
    consultant = SelectField(_l("Assigned to"), default="", validators=[Optional()])
    since = DateField(
        _l("Diagnosed from"),
        validators=[Optional()],
        render_kw={"type": "date"},
    )
    until = DateField(_l("Diagnosed until"), validators=[Optional()], render_kw={"type": "date"})
    sort = SelectField(
        _l("Sort by"),
        choices=[SelectChoice(k, v) for k, v in SORT_NAMES().items()],
        default="activity",
        validators=[Optional()],
    )
    order = SelectField(
        _l("Order"),
        choices=[SelectChoice("desc", _l("Descending")), SelectChoice("asc", _l("Ascending"))],
        default="desc",
        validators=[Optional()],
    )
    page = IntegerField(
        _l("Page"), default=1, validators=[Optional(), NumberRange(min=1, max=MAX_PAGE)]
    )

    def validate_until(self, field) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end date comes before the start date."))

    def firm_filter(self) -> FirmFilter:
        """The filter, with every invalid field left out (its error is shown on the page)."""
        ok = {name: not self[name].errors for name in self._fields}
        consultant = self.consultant.data if ok["consultant"] else ""
        return FirmFilter(
            text=(self.q.data or "") if ok["q"] else "",
            state=(self.state.data or "") if ok["state"] else "",
            industry=(self.industry.data or "") if ok["industry"] else "",
            size=(self.size.data or "") if ok["size"] else "",
            region=(self.region.data or "") if ok["region"] else "",
            consultant=parse_id(consultant),
            since=self.since.data.isoformat() if ok["since"] and self.since.data else "",
            until=self.until.data.isoformat() if ok["until"] and self.until.data else "",
        )

    def query_args(self, **changes: Any) -> dict[str, Any]:
        """The filter as URL arguments (for paging and sorting links, exports and batches)."""
        args = {
            name: field.data.isoformat() if hasattr(field.data, "isoformat") else field.data
            for name, field in self._fields.items()
            if field.data not in (None, "") and not field.errors
        }
        args.update(changes)
        return {k: v for k, v in args.items() if v not in (None, "")}


def firm_filter_form(
    db: sqlite_utils.Database, user: Any, questionnaire: Questionnaire, args: MultiDict
) -> tuple[FirmFilterForm, dict[str, Any]]:
    """The filter form filled from ``args``, and what the firm list service needs from it."""
    form = FirmFilterForm(args)
    lang_choices = _profile_choices(questionnaire)
    form.industry.choices = [SelectChoice("", _l("All industries")), *lang_choices["industry"]]
    form.region.choices = [SelectChoice("", _l("All regions")), *lang_choices["region"]]
    form.size.choices = [
        SelectChoice("", _l("All sizes")),
        *(SelectChoice(k, v) for k, v in SIZE_NAMES().items()),
    ]
    form.consultant.choices = [
        SelectChoice("", _l("Anyone")),
        *(SelectChoice(str(c["id"]), c["name"]) for c in consultants_of(db, user.center_id)),
    ]
    form.validate()
    sort = form.sort.data if form.sort.data in FIRM_SORTS and not form.sort.errors else "activity"
    page = form.page.data if not form.page.errors and form.page.data else 1
    return form, {
        "filters": form.firm_filter(),
        "sort": sort,
        "descending": form.order.data != "asc",
        "page": page,
        "per_page": PER_PAGE,
    }


def _profile_choices(questionnaire: Questionnaire) -> dict[str, list[SelectChoice]]:
    from .forms import ui_language

    lang = ui_language()
    return {
        name: [
            SelectChoice(c.value, c.label.get(lang))
            for c in questionnaire.profile_field(name).choices
        ]
        for name in ("industry", "region")
    }


assert set(SIZE_BANDS) == set(SIZE_NAMES())  # one table of size bands


# --- users -------------------------------------------------------------------------------------


class NewUserForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(_l("Enter an email address.")),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter a valid email address.")),
            TextLimits(inputs.PROFILE_TEXT_MAX),
        ],
    )
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Enter the person's name.")),
            TextLimits(inputs.PROFILE_TEXT_MAX),
        ],
    )
    phone = StringField(_l("Phone"), validators=[Optional(), TextLimits(inputs.PROFILE_TEXT_MAX)])
    role = SelectField(_l("Role"), validators=[DataRequired(_l("Choose a role."))])
    center = SelectField(_l("Center"), validators=[DataRequired(_l("Choose a center."))])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class AssignForm(FlaskForm):
    consultant = SelectField(
        _l("Consultant"), validators=[DataRequired(_l("Choose a consultant."))]
    )


# --- training records --------------------------------------------------------------------------


class TrainingForm(FlaskForm):
    module = SelectField(_l("Training module"), validators=[DataRequired(_l("Choose a module."))])
    started_on = DateField(
        _l("Started on"),
        validators=[DataRequired(_l("Enter the first day, e.g. 2026-03-02."))],
        render_kw={"type": "date"},
    )
    ended_on = DateField(_l("Ended on"), validators=[Optional()], render_kw={"type": "date"})
    hours = DecimalField(
        _l("Hours per person"),
        places=1,
        validators=[
            DataRequired(_l("Enter the hours, e.g. 16.")),
            NumberRange(min=0.5, max=2000, message=_l("Between 0.5 and 2000 hours.")),
        ],
    )
    trainees = IntegerField(
        _l("People trained"),
        validators=[Optional(), NumberRange(min=1, max=100000, message=_l("At least one person."))],
    )

    def validate_ended_on(self, field) -> None:
        if field.data and self.started_on.data and field.data < self.started_on.data:
            raise ValidationError(_l("The last day comes before the first day."))


class BatchForm(FlaskForm):
    lang = SelectField(
        _l("Language"),
        choices=[SelectChoice("ko", "한국어"), SelectChoice("en", "English")],
        default="ko",
    )
    format = SelectField(
        _l("File"),
        choices=[
            SelectChoice("zip", _l("ZIP of one PDF per firm")),
            SelectChoice("pdf", _l("One merged PDF")),
        ],
        default="zip",
    )
