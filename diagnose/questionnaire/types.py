"""The types of questionnaire items and profile fields: one class each (as Indico's survey fields).

A questionnaire file names a type (``type: single``); the loaded item holds an instance of
its class (``item.kind``), bound to the item. Whatever depends on the type asks that object:

- what a file may say about an item of the type (``problems``, ``scored_by_default``);
- its WTForms field (``form_field``), the value a form starts from and the value it stores;
- its check of one answer (``check``): the message a page and the JSON API give alike;
- its score, its lowest score (a follow-up ruled out) and its one-step changes;
- its text for the review pages and the report (``text``);
- its JSON: the type an API call must send (``json_type``), what to say when it does not,
  the value it stands for (``parse``) and its part of the questionnaire's JSON.

Forms (``web.forms``), the API (``services.schemas``, ``services.submissions``), scoring,
the report and the templates call these; nothing else branches on a type's name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from pydantic import Field, StrictFloat, StrictInt, StrictStr
from wtforms import Field as FormField
from wtforms import (
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from .. import business_number, inputs

# An item (``schema.Item``) and a profile field (``schema.ProfileField``) hold their type; this
# module names neither, so that the models import the types and not the other way round.
Item = ProfileField = Any
# The answer "not applicable" (an item with ``allow_na``), stored as this marker.
NOT_APPLICABLE = "_na"
Answers = Mapping[str, Any]


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def parse_number(raw: Any) -> float | None:
    """The number a person typed, tolerating thousands separators and spaces; else None."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    if not isinstance(raw, str):
        return None
    text = raw.strip().replace(",", "").replace(" ", "")
    try:
        return float(text)
    except ValueError:
        return None


def check_unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    dupes = sorted({v for v in values if v in seen or seen.add(v)})
    if dupes:
        raise ValueError(f"duplicate {what}: {', '.join(dupes)}")


def ui_language() -> str:
    locale = get_locale()
    return locale.language if locale else "ko"


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _plain(number: float) -> str:
    return f"{number:g}"


def _with_unit(value: Any, unit: str, lang: str) -> str:
    # Korean writes the unit on the number ("8시간/월"); English with a no-break space
    return f"{value}{unit}" if lang == "ko" else f"{value}\u00a0{unit}"


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


# --- questionnaire items ---------------------------------------------------------------------


class ItemType:
    """What every item type knows; a subclass per type. Bound to one item (``self.item``)."""

    name: ClassVar[str]
    has_options: ClassVar[bool] = False  # its answers are option values
    many: ClassVar[bool] = False  # an answer may hold several values
    scorable: ClassVar[bool] = True
    free_text: ClassVar[bool] = False  # typed at length: not on a phone, not compared
    widget: ClassVar[str] = "text"  # its input on a page (a macro of templates/_fields.html)
    # the length and characters an answer typed in obeys (``inputs.text_problem``): max, multiline
    text_limit: ClassVar[tuple[int, bool] | None] = None
    json_help: ClassVar[Any] = _l("Send text (a JSON string).")

    def __init__(self, item: Item):
        self.item = item

    # the file ------------------------------------------------------------------------------

    def problems(self) -> list[str]:
        """What is wrong with the item as the file defines it (in the order an editor reads)."""
        item, problems = self.item, []
        if self.has_options and len(item.options) < 2:
            problems.append(f"a {self.name} item needs at least two options")
        if not self.has_options and item.options:
            problems.append(f"a {self.name} item takes no options")
        check_unique([o.value for o in item.options], "option value")
        if not self.scorable and item.scored:
            problems.append(f"a {self.name} item cannot be scored")
        if item.is_scored and self.has_options:
            missing = [o.value for o in item.options if o.score is None]
            if missing:
                problems.append(f"options without a score: {', '.join(missing)}")
        if not item.is_scored and any(o.score is not None for o in item.options):
            problems.append("an unscored item's options must not carry a score")
        problems += self.range_problems()
        if item.allow_na and not self.has_options:
            problems.append("allow_na belongs to single and multi items; use skip logic instead")
        if any(o.exclusive for o in item.options) and not self.many:
            problems.append("'exclusive' options belong to multi items only")
        return problems

    def range_problems(self) -> list[str]:
        if self.item.score_bands or self.item.unit:
            return ["score_bands and unit belong to number items only"]
        return []

    def scored_by_default(self) -> bool:
        return self.scorable

    # a form --------------------------------------------------------------------------------

    def form_field(self, lang: str, validators: list[Any]) -> FormField:
        """The WTForms field of the item; ``validators`` come from the form (required, check)."""
        raise NotImplementedError

    def form_value(self, stored: Any) -> Any:
        """A stored answer as the data its form field starts from."""
        return stored

    def stored(self, data: Any) -> Any:
        """A form field's data as stored."""
        return data

    @property
    def required_message(self) -> Any:
        return _l("This answer is required.")

    def check_raw(self, raw: list[Any]) -> Any:
        """A problem with what a form sent, before it is read as one value: message or None."""
        return None

    def limit_problem(self, value: Any) -> Any:
        """Text too long or with characters that cannot be stored: message or None."""
        if self.text_limit is None or not isinstance(value, str):
            return None
        return inputs.text_problem(value, *self.text_limit)

    def check(self, value: Any) -> Any:
        """A shown, given answer's problem as a message in the UI language; None if valid."""
        return None

    # scoring -------------------------------------------------------------------------------

    def is_answered(self, value: Any) -> bool:
        if is_empty(value):
            return False
        if value == NOT_APPLICABLE:
            return self.item.allow_na
        return True

    def score(self, value: Any) -> float | None:
        """The 0–100 score of an answered, applicable answer; None when it does not count."""
        return None

    def floor(self) -> float:
        """The score of a follow-up that the answers it follows rule out."""
        return 0.0

    def steps(self, given: Any, up: bool) -> Iterator[Any]:
        """Every answer one step up (or down) its own scale from ``given``."""
        return iter(())

    # words ---------------------------------------------------------------------------------

    def text(self, value: Any, lang: str, shorten=str) -> str:
        """An answer as a reader sees it (review pages, the report); ``shorten`` cuts free
        text."""
        if is_empty(value):
            return "–"
        if value == NOT_APPLICABLE:
            return gettext("Not applicable")
        return self.words(value, lang, shorten)

    def words(self, value: Any, lang: str, shorten=str) -> str:
        return str(value)

    # JSON ----------------------------------------------------------------------------------

    def json_type(self) -> Any:
        """The annotation (and field) of the answer in an API call (``services.schemas``)."""
        return StrictStr | None, None

    def parse(self, value: Any) -> Any:
        """A JSON answer of the right type as the value a form would hold."""
        return value

    def json_extra(self) -> dict[str, Any]:
        """The item's part of the questionnaire's JSON beyond what every item has."""
        return {}


class _ChoiceType(ItemType):
    has_options = True
    widget = "options"

    def choices(self, lang: str) -> list[SelectChoice]:
        choices = [SelectChoice(o.value, o.label.get(lang)) for o in self.item.options]
        if self.item.allow_na:
            choices.append(SelectChoice(NOT_APPLICABLE, _l("Not applicable")))
        return choices

    def scored_by_default(self) -> bool:
        return not all(o.score is None for o in self.item.options)

    def allowed(self) -> set[str]:
        return {o.value for o in self.item.options} | (
            {NOT_APPLICABLE} if self.item.allow_na else set()
        )

    def words(self, value: Any, lang: str, shorten=str) -> str:
        values = value if isinstance(value, list) else [value]
        return ", ".join(
            (o.label.get(lang) if (o := self.item.option(v)) else gettext("Not applicable"))
            for v in values
        )


class SingleChoice(_ChoiceType):
    name = "single"
    json_help = _l("Send one option value (a JSON string), not a list.")

    def form_field(self, lang: str, validators: list[Any]) -> FormField:
        return RadioField(
            self.item.question.get(lang),
            choices=self.choices(lang),
            validators=validators,
            validate_choice=False,
        )

    @property
    def required_message(self) -> Any:
        return _l("Choose an answer.")

    def check_raw(self, raw: list[Any]) -> Any:
        return _l("Choose only one answer.") if len(raw or []) > 1 else None

    def check(self, value: Any) -> Any:
        return None if value in self.allowed() else _l("Choose one of the options.")

    def score(self, value: Any) -> float | None:
        option = self.item.option(value)
        return option.score if option else None

    def floor(self) -> float:
        return min(o.score or 0.0 for o in self.item.options)

    def steps(self, given: Any, up: bool) -> Iterator[Any]:
        """One option higher (lower) on the score scale."""
        ladder = [o.value for o in sorted(self.item.options, key=lambda o: o.score)]
        if given in ladder:
            index = ladder.index(given) + (1 if up else -1)
            if 0 <= index < len(ladder):
                yield ladder[index]


class MultiChoice(_ChoiceType):
    name = "multi"
    many = True
    json_help = _l("Send a list of option values.")

    def form_field(self, lang: str, validators: list[Any]) -> FormField:
        return MultiCheckboxField(
            self.item.question.get(lang),
            choices=self.choices(lang),
            validators=validators,
            validate_choice=False,
        )

    def form_value(self, stored: Any) -> Any:
        return stored if stored is None or isinstance(stored, list) else [stored]

    def stored(self, data: Any) -> Any:
        """Only "not applicable" is stored as the plain marker."""
        return NOT_APPLICABLE if data == [NOT_APPLICABLE] else data

    @property
    def required_message(self) -> Any:
        if self.item.allow_na:
            return _l("Choose at least one option, or 'not applicable'.")
        return _l("Choose at least one option.")

    def check(self, value: Any) -> Any:
        chosen = value if isinstance(value, list) else [value]
        if len(set(chosen)) != len(chosen):
            return _l("Each option can be chosen only once.")
        if len(chosen) > inputs.OPTIONS_MAX or not set(chosen) <= self.allowed():
            return _l("Choose from the options shown.")
        exclusive = {o.value for o in self.item.options if o.exclusive} | {NOT_APPLICABLE}
        if len(chosen) > 1 and set(chosen) & exclusive:
            return _l(
                "'%(option)s' cannot be combined with other answers.",
                option=self._label(sorted(set(chosen) & exclusive)[0]),
            )
        return None

    def _label(self, value: str) -> str:
        option = self.item.option(value)
        return option.label.get(ui_language()) if option else gettext("Not applicable")

    def score(self, value: Any) -> float | None:
        chosen = [self.item.option(v) for v in (value if isinstance(value, list) else [value])]
        known = [o.score for o in chosen if o is not None]
        return min(100.0, sum(known)) if known else None

    def steps(self, given: Any, up: bool) -> Iterator[Any]:
        """Up: one more scored option (the exclusive one dropped); down: one option fewer."""
        item = self.item
        chosen = [v for v in (given if isinstance(given, list) else [given]) if item.option(v)]
        real = [v for v in chosen if not item.option(v).exclusive]
        if up:
            for option in item.options:
                if not option.exclusive and option.value not in real and option.score:
                    yield real + [option.value]
        else:
            for value in real:
                rest = [v for v in real if v != value]
                exclusive = [o.value for o in item.options if o.exclusive]
                yield rest or exclusive[:1] or []

    def json_type(self) -> Any:
        # a list of option values, or the "not applicable" marker alone
        return list[StrictStr] | StrictStr | None, Field(None, max_length=inputs.OPTIONS_MAX)

    def parse(self, value: Any) -> Any:
        return value if isinstance(value, list) else [value]


class NumberItem(ItemType):
    name = "number"
    widget = "number"
    text_limit = (inputs.PROFILE_TEXT_MAX, False)
    json_help = _l("Send a number.")

    def range_problems(self) -> list[str]:
        item, problems = self.item, []
        if item.min is None or item.max is None or item.min > item.max:
            problems.append("a number item needs min <= max")
        if item.is_scored:
            maxes = [b.max for b in item.score_bands]
            if not maxes:
                problems.append("a scored number item needs score_bands")
            elif maxes != sorted(maxes) or (item.max is not None and maxes[-1] < item.max):
                problems.append("score_bands must rise and the last must reach the item's max")
        return problems

    def form_field(self, lang: str, validators: list[Any]) -> FormField:
        return StringField(
            self.item.question.get(lang),
            validators=validators,
            filters=[_strip, inputs.digits_normalised],
        )

    def check(self, value: Any) -> Any:
        if value == NOT_APPLICABLE:
            return None
        number = parse_number(value)
        if number is None:
            return _l("Enter a number, digits only.")
        if not self.item.min <= number <= self.item.max:
            return _l(
                "Enter a number from %(low)s to %(high)s.",
                low=_plain(self.item.min),
                high=_plain(self.item.max),
            )
        return None

    def is_answered(self, value: Any) -> bool:
        if is_empty(value) or value == NOT_APPLICABLE:
            return super().is_answered(value)
        return parse_number(value) is not None

    def score(self, value: Any) -> float | None:
        number = parse_number(value)
        band = next((b for b in self.item.score_bands if number <= b.max), None)
        return band.score if band else None

    def floor(self) -> float:
        return min(b.score for b in self.item.score_bands)

    def steps(self, given: Any, up: bool) -> Iterator[Any]:
        """A number in the next band up (its lowest value) or down (that band's top)."""
        number = parse_number(given)
        if number is None:
            return
        item, bands = self.item, list(self.item.score_bands)
        index = next((i for i, b in enumerate(bands) if number <= b.max), len(bands) - 1)
        target = index + (1 if up else -1)
        if not 0 <= target < len(bands):
            return
        # up: the next band's lowest whole number; down: the top of the band below
        value = math.floor(bands[index].max) + 1 if up else bands[target].max
        value = min(max(value, item.min or 0), item.max if item.max is not None else value)
        if self.score(f"{value:g}") != self.score(given):
            yield f"{value:g}"

    def words(self, value: Any, lang: str, shorten=str) -> str:
        if not self.item.unit:
            return str(value)
        return _with_unit(value, self.item.unit.get(lang), lang)

    def json_type(self) -> Any:
        return StrictInt | StrictFloat | StrictStr | None, None

    def parse(self, value: Any) -> Any:
        return inputs.digits_normalised(_strip(str(value)))

    def json_extra(self) -> dict[str, Any]:
        item = self.item
        unit = {"ko": item.unit.ko, "en": item.unit.en} if item.unit else None
        return {
            "min": item.min,
            "max": item.max,
            "unit": unit,
            "score_bands": [b.model_dump() for b in item.score_bands],
        }


class FreeText(ItemType):
    name = "text"
    scorable = False
    free_text = True
    text_limit = (inputs.TEXT_ANSWER_MAX, True)

    def form_field(self, lang: str, validators: list[Any]) -> FormField:
        return TextAreaField(self.item.question.get(lang), validators=validators)

    def words(self, value: Any, lang: str, shorten=str) -> str:
        return shorten(value)


ITEM_TYPES: dict[str, type[ItemType]] = {
    t.name: t for t in (SingleChoice, MultiChoice, NumberItem, FreeText)
}


# --- profile fields --------------------------------------------------------------------------

_PHONE = re.compile(r"^\+?[0-9][0-9\-\s]{6,18}[0-9]$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ProfileType:
    """What every profile field type knows; a subclass per type, bound to one field."""

    name: ClassVar[str]
    has_choices: ClassVar[bool] = False
    digits: ClassVar[bool] = False  # typed digits are normalised (full width → ASCII)
    text_limit: ClassVar[int | None] = inputs.PROFILE_TEXT_MAX
    json_help: ClassVar[Any] = _l("Send text (a JSON string).")

    def __init__(self, spec: ProfileField):
        self.spec = spec

    def problems(self) -> list[str]:
        if self.has_choices and not self.spec.choices:
            return ["a choice field needs 'choices'"]
        if not self.has_choices and self.spec.choices:
            return [f"'choices' only belong to choice fields, not {self.name}"]
        return []

    @property
    def required_message(self) -> Any:
        return _l("This field is required.")

    def normalise(self, value: Any) -> Any:
        """What a form keeps of a typed value (the form's filters)."""
        value = _strip(value)
        return inputs.digits_normalised(value) if self.digits else value

    def limit_problem(self, value: Any) -> Any:
        if not self.text_limit or not isinstance(value, str):
            return None
        return inputs.text_problem(value, self.text_limit)

    def check(self, value: str) -> Any:
        """A given value's problem as a message in the UI language; None if valid."""
        return None

    def form_field(self, lang: str, validators: list[Any]) -> FormField:
        spec = self.spec
        return StringField(
            spec.label.get(lang),
            validators=validators,
            description=spec.help.get(lang) if spec.help else "",
            filters=[self.normalise],
        )

    def stored(self, value: str) -> str:
        return value

    def text(self, value: Any, lang: str) -> str:
        return value or "–"

    def json_type(self) -> Any:
        return StrictStr | None

    def json_extra(self) -> dict[str, Any]:
        return {}


class TextField(ProfileType):
    name = "text"


class ChoiceField(ProfileType):
    name = "choice"
    has_choices = True
    text_limit = None  # checked against its values

    @property
    def required_message(self) -> Any:
        return _l("Choose one.")

    def normalise(self, value: Any) -> Any:
        return value

    def check(self, value: str) -> Any:
        if value not in {c.value for c in self.spec.choices}:
            return _l("Choose one of the options.")
        return None

    def form_field(self, lang: str, validators: list[Any]) -> FormField:
        spec = self.spec
        choices = [SelectChoice("", _l("— choose —"))] + [
            SelectChoice(c.value, c.label.get(lang)) for c in spec.choices
        ]
        return SelectField(
            spec.label.get(lang),
            choices=choices,
            validators=validators,
            description=spec.help.get(lang) if spec.help else "",
            validate_choice=False,
        )

    def text(self, value: Any, lang: str) -> str:
        return self.spec.choice_label(value, lang) if value else "–"


class BusinessNumberField(ProfileType):
    name = "business_number"
    digits = True

    def check(self, value: str) -> Any:
        digits = business_number.normalise(value)
        if not re.fullmatch(r"\d{10}", digits):
            return _l("A business registration number has 10 digits (e.g. 123-45-67891).")
        if not business_number.is_valid(digits):
            return _l("This business registration number is not valid: check the digits.")
        return None

    def stored(self, value: str) -> str:
        """Without dashes, when valid."""
        return business_number.normalise(value) if business_number.is_valid(value) else value

    def text(self, value: Any, lang: str) -> str:
        return business_number.format_number(value) if value else "–"


class IntegerField(ProfileType):
    name = "integer"
    digits = True
    json_help = _l("Send a whole number.")

    def check(self, value: str) -> Any:
        text = str(value).strip().replace(",", "")
        if not re.fullmatch(r"\d+", text):
            return _l("Enter a whole number, digits only.")
        number, low, high = int(text), self.spec.min, self.spec.max
        if (low is not None and number < low) or (high is not None and number > high):
            return _l("Enter a number from %(low)s to %(high)s.", low=low, high=high)
        return None

    def json_type(self) -> Any:
        return StrictInt | StrictStr | None

    def json_extra(self) -> dict[str, Any]:
        return {"min": self.spec.min, "max": self.spec.max}


class PhoneField(ProfileType):
    name = "phone"
    digits = True

    def check(self, value: str) -> Any:
        return check_phone(value)


class EmailField(ProfileType):
    name = "email"

    def check(self, value: str) -> Any:
        return check_email(value)


def check_phone(value: str) -> Any:
    if not _PHONE.match(value.strip()):
        return _l("Enter a phone number, e.g. 02-1234-5678.")
    return None


def check_email(value: str) -> Any:
    if not _EMAIL.match(value.strip()):
        return _l("Enter an email address, e.g. name@example.com.")
    return None


PROFILE_TYPES: dict[str, type[ProfileType]] = {
    t.name: t
    for t in (TextField, ChoiceField, BusinessNumberField, IntegerField, PhoneField, EmailField)
}


# --- one answer in a whole submission --------------------------------------------------------


def item_problem(item: Item, value: Any, context: Answers, raw: list[Any] | None = None) -> Any:
    """One item's problem, as its form field reports it: text that cannot be stored, then an
    answer missing (required while shown), then the type's check of a shown answer."""
    kind = item.kind
    if (problem := kind.limit_problem(value)) is not None:
        return problem
    shown = item.shown(context)
    if item.required and not shown:
        return None  # hidden by skip logic: not asked
    if is_empty(value):
        return kind.required_message if item.required else None
    if raw is not None and (problem := kind.check_raw(raw)) is not None:
        return problem
    return kind.check(value) if shown else None
