"""Load and validate a questionnaire file into frozen models.

A questionnaire is data (``questionnaires/<id>/v<version>.yaml``), edited by people who are
not programmers, so loading checks the whole file and reports every problem at once, each
with the file, the item id and what is wrong. The app refuses to start on an invalid file
rather than serve half of it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from .contract import CONTRACTED, DIMENSIONS, ITEMS
from .types import (
    ITEM_TYPES,
    PROFILE_TYPES,
    ItemType,
    ProfileType,
    check_unique,
    is_empty,
    item_problem,
)

LANGUAGES = ("ko", "en")
PROFILE_FIELD_IDS = (
    "company_name",
    "business_number",
    "region",
    "industry",
    "employees",
    "revenue_band",
    "contact_name",
    "contact_phone",
    "contact_email",
)
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_]*$", max_length=60)]
# A firm owner's short self-assessment asks at most this many questions (``self: true``).
SHORT_FORM_MAX = 20


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(_Frozen):
    """A user-visible string in every UI language."""

    ko: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.ko


class Choice(_Frozen):
    value: str = Field(pattern=r"^[A-Za-z0-9_]+$")
    label: Text


class ProfileField(_Frozen):
    id: Literal[PROFILE_FIELD_IDS]  # type: ignore[valid-type]
    type: Literal["text", "business_number", "choice", "integer", "phone", "email"]
    label: Text
    help: Text | None = None
    required: bool = True
    choices: tuple[Choice, ...] = ()
    min: int | None = None
    max: int | None = None

    @model_validator(mode="after")
    def _choices_match_type(self) -> ProfileField:
        for problem in self.kind.problems():
            raise ValueError(problem)
        check_unique([c.value for c in self.choices], "choice value")
        return self

    @property
    def kind(self) -> ProfileType:
        """The field's type (``types.py``): its form field, check, JSON and text."""
        return PROFILE_TYPES[self.type](self)

    def choice_label(self, value: str, lang: str) -> str:
        for choice in self.choices:
            if choice.value == value:
                return choice.label.get(lang)
        return value


class Option(_Frozen):
    value: Slug
    label: Text
    score: float | None = Field(default=None, ge=0, le=100)
    exclusive: bool = False


class ScoreBand(_Frozen):
    max: float
    score: float = Field(ge=0, le=100)


class Condition(_Frozen):
    """Skip logic: ``{item, in}``, ``{item, not_in}``, ``{all: [...]}`` or ``{any: [...]}``."""

    item: str | None = None
    in_: tuple[str, ...] | None = Field(default=None, alias="in")
    not_in: tuple[str, ...] | None = None
    all: tuple[Condition, ...] | None = None
    any: tuple[Condition, ...] | None = None

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        forms = [
            self.item is not None and (self.in_ is not None) != (self.not_in is not None),
            self.all is not None,
            self.any is not None,
        ]
        if sum(forms) != 1 or (self.item is None and (self.in_ or self.not_in)):
            raise ValueError(
                "show_if must be exactly one of {item, in}, {item, not_in}, {all: [...]}, "
                "{any: [...]}"
            )
        return self

    def referenced(self) -> Iterator[Condition]:
        """Every leaf condition (``item`` + values) inside this one."""
        if self.item is not None:
            yield self
        for sub in (self.all or ()) + (self.any or ()):
            yield from sub.referenced()

    def holds(self, answers: Mapping[str, Any]) -> bool:
        if self.all is not None:
            return all(c.holds(answers) for c in self.all)
        if self.any is not None:
            return any(c.holds(answers) for c in self.any)
        given = answers.get(self.item)
        values = set(given) if isinstance(given, list) else ({given} if given else set())
        if self.in_ is not None:
            return bool(values & set(self.in_))
        return not values & set(self.not_in or ())


class Item(_Frozen):
    id: Slug
    type: Literal["single", "multi", "number", "text"]
    question: Text
    help: Text | None = None
    required: bool = True
    weight: float = Field(default=1.0, gt=0, le=10)
    allow_na: bool = False
    scored: bool | None = None
    show_if: Condition | None = None
    options: tuple[Option, ...] = ()
    unit: Text | None = None
    min: float | None = None
    max: float | None = None
    score_bands: tuple[ScoreBand, ...] = ()
    # Asked in the firm owner's short self-assessment (``self: true`` in the file).
    self_assessment: bool = Field(default=False, alias="self")

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Without ``self: false``: a version published before the flag existed keeps the
        digest it was answered with."""
        data = handler(self)
        for key in ("self", "self_assessment"):
            if data.get(key) is False:
                del data[key]
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Item:
        problems = self.kind.problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def kind(self) -> ItemType:
        """The item's type (``types.py``): its form field, check, score, text and JSON (made
        anew at each call: a copy of the item must not answer with the original's type)."""
        return ITEM_TYPES[self.type](self)

    @property
    def is_scored(self) -> bool:
        if self.scored is not None:
            return self.scored
        return self.kind.scored_by_default()

    def shown(self, answers: Mapping[str, Any]) -> bool:
        """Whether skip logic shows the item, given the answers so far."""
        return self.show_if is None or self.show_if.holds(answers)

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


class Dimension(_Frozen):
    id: Slug
    title: Text
    description: Text
    levels: tuple[Text, Text, Text, Text, Text]
    items: tuple[Item, ...] = Field(min_length=1)


class Questionnaire(_Frozen):
    id: Slug
    version: int = Field(ge=1)
    published: date
    title: Text
    description: Text
    profile: tuple[ProfileField, ...]
    dimensions: tuple[Dimension, ...] = Field(min_length=1)

    @field_validator("profile")
    @classmethod
    def _all_profile_fields(cls, fields: tuple[ProfileField, ...]) -> tuple[ProfileField, ...]:
        ids = [f.id for f in fields]
        check_unique(ids, "profile field")
        missing = [f for f in PROFILE_FIELD_IDS if f not in ids]
        if missing:
            raise ValueError(f"missing profile fields: {', '.join(missing)}")
        return fields

    @property
    def key(self) -> str:
        return f"{self.id}@v{self.version}"

    def items(self) -> Iterator[Item]:
        for dimension in self.dimensions:
            yield from dimension.items

    def item(self, item_id: str) -> Item:
        return self._items_by_id[item_id]

    def find_item(self, item_id: str) -> Item | None:
        """The item with this id, or None when this version has no such item."""
        return self._items_by_id.get(item_id)

    def dimension_of(self, item_id: str) -> Dimension:
        return self._dimension_by_item[item_id]

    def profile_field(self, field_id: str) -> ProfileField:
        return next(f for f in self.profile if f.id == field_id)

    def visible(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The answers to items that the other answers leave shown (hidden ones are ignored)."""
        shown = dict(answers)
        while True:
            hidden = [i.id for i in self.items() if i.id in shown and not i.shown(shown)]
            if not hidden:
                return shown
            for item_id in hidden:
                del shown[item_id]

    def check_profile(
        self, profile: Mapping[str, Any]
    ) -> tuple[dict[str, str], list[tuple[str, Any]]]:
        """A profile of JSON values checked field by field by each field's type, as the profile
        page checks it: ``(profile as stored, [(field id, message)])``. Every field of this
        version is in the profile, "" when not given."""
        values: dict[str, str] = {}
        errors: list[tuple[str, Any]] = []
        for spec in self.profile:
            kind, given = spec.kind, profile.get(spec.id)
            value = kind.normalise("" if given is None else str(given)) or ""
            values[spec.id] = kind.stored(value) if value else ""
            problem = kind.limit_problem(value)
            if problem is None and not value:
                problem = kind.required_message if spec.required else None
            elif problem is None:
                problem = kind.check(value)
            if problem is not None:
                errors.append((spec.id, problem))
        return values, errors

    def check_answers(
        self, answers: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
        """Answers of JSON values checked item by item by each item's type, as the section
        pages check them: ``(answers as stored, [(item id, message)])`` in this version's
        order. Answers to items that the other answers hide are dropped, whatever they hold
        (only text that cannot be stored is refused there too)."""
        parsed = (
            (item, item.kind.parse(answers[item.id]))
            for item in self.items()
            if answers.get(item.id) is not None
        )
        given = {item.id: value for item, value in parsed if not is_empty(value)}
        stored = {k: self.item(k).kind.stored(v) for k, v in given.items()}
        clean = self.visible({k: v for k, v in stored.items() if not is_empty(v)})
        errors = [
            (item.id, problem)
            for item in self.items()
            if (problem := item_problem(item, given.get(item.id), clean)) is not None
        ]
        return clean, errors

    @property
    def has_short_form(self) -> bool:
        """Whether this version marks items for the firm owner's short self-assessment."""
        return any(i.self_assessment for i in self.items())

    def short_form(self) -> Questionnaire:
        """This version with only its short-form items: what a self-assessment asks.

        Same id and version (an assessment records the full version): the copy checks what
        the short form asks, while scores and the model read the full version, in which the
        items left out count as not answered.
        """
        return self._short_form

    @cached_property
    def _short_form(self) -> Questionnaire:
        dimensions = tuple(
            d.model_copy(update={"items": tuple(i for i in d.items if i.self_assessment)})
            for d in self.dimensions
        )
        # constructed anew, not copied: a copy would carry this version's cached item index
        return Questionnaire.model_construct(
            **{**dict(self), "dimensions": tuple(d for d in dimensions if d.items)}
        )

    @cached_property
    def _items_by_id(self) -> dict[str, Item]:
        return {i.id: i for i in self.items()}

    @cached_property
    def _dimension_by_item(self) -> dict[str, Dimension]:
        return {i.id: d for d in self.dimensions for i in d.items}

    def digest(self) -> str:
        """A content hash: a published version must never change under the same number."""
        canonical = json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a questionnaire file."""

    file: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.message}"


class QuestionnaireError(Exception):
    """A questionnaire file is invalid; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        listing = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in questionnaire files:\n{listing}")


# libyaml's loader parses a questionnaire about five times faster than PyYAML's own, which
# remains the fallback where PyYAML was built without libyaml. Both are "safe": plain data only.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(text: str) -> Any:
    """YAML text as plain Python data (the safe loader: no tags, no objects)."""
    return yaml.load(text, Loader=YAML_LOADER)


# Validated questionnaires by the SHA-256 of their file: every app of a process (a test
# session makes hundreds) parses and checks a file once; an edited file has a new digest.
# The models are frozen, so sharing them is safe.
_LOADED: dict[str, Questionnaire] = {}


def breaks(questionnaire: Questionnaire) -> Iterator[tuple[str, str]]:
    """Every way ``questionnaire`` breaks the contract (``contract.py``): ``(where, what)``."""
    if questionnaire.id not in CONTRACTED:
        return
    dimensions = {d.id for d in questionnaire.dimensions}
    for dimension in DIMENSIONS:
        if dimension not in dimensions:
            yield (
                f"dimension {dimension}",
                "missing; the model, the policy and the report read its score",
            )
    for needs in ITEMS:
        users = ", ".join(needs.users)
        item = questionnaire.find_item(needs.item)
        if item is None:
            yield f"item {needs.item}", f"missing; read by {users}"
            continue
        if item.type not in needs.types:
            yield (
                f"item {needs.item}",
                f"is a {item.type} item; {users} read it as {' or '.join(needs.types)}",
            )
        if needs.scored is not None and item.is_scored != needs.scored:
            yield (
                f"item {needs.item}",
                f"must {'' if needs.scored else 'not '}be scored; read by {users}",
            )
        known = {o.value for o in item.options}
        for value in needs.options:
            if value not in known:
                yield f"item {needs.item} option {value}", f"missing; read by {users}"


def load_questionnaire(path: Path | str) -> Questionnaire:
    """Read one questionnaire file, or raise QuestionnaireError listing every problem."""
    path = Path(path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise QuestionnaireError([Problem(str(path), "file", str(exc))]) from exc
    digest = hashlib.sha256(content).hexdigest()
    if digest not in _LOADED:
        _LOADED[digest] = _validate(path, content)
    return _LOADED[digest]


def _validate(path: Path, content: bytes) -> Questionnaire:
    try:
        raw = read_yaml(content.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise QuestionnaireError([Problem(str(path), "file", str(exc))]) from exc
    if not isinstance(raw, dict):
        raise QuestionnaireError([Problem(str(path), "file", "the top level must be a mapping")])
    try:
        questionnaire = Questionnaire.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        problems = [
            Problem(str(path), _describe_location(raw, err["loc"]), _explain(err))
            for err in errors
            # "too few items" on a list whose items failed is an echo of those failures
            if not (
                err["type"] == "too_short"
                and any(
                    len(o["loc"]) > len(err["loc"]) and o["loc"][: len(err["loc"])] == err["loc"]
                    for o in errors
                )
            )
        ]
        raise QuestionnaireError(problems) from None
    problems = [
        Problem(str(path), where, msg)
        for where, msg in (*_cross_check(questionnaire), *breaks(questionnaire))
    ]
    if problems:
        raise QuestionnaireError(problems)
    return questionnaire


def _explain(err: dict[str, Any]) -> str:
    if isinstance(err.get("input"), bool) and err["type"] == "string_type":
        return (
            f"{err['msg']}: YAML reads an unquoted yes/no/on/off/true/false as "
            f'{str(err["input"]).lower()}; write it in quotes, e.g. "yes"'
        )
    return err["msg"]


def _describe_location(raw: Any, loc: tuple[Any, ...]) -> str:
    """Turn a pydantic location into words an editor can find: ids, not list indexes.

    ``("dimensions", 0, "items", 3, "options", 1, "score")`` becomes
    ``dimensions[leadership].items[lead_budget].options[some].score``.
    """
    where = ""
    node = raw
    for key in loc:
        if isinstance(key, int):
            node = node[key] if isinstance(node, list) and key < len(node) else None
            ident = (node.get("id") or node.get("value")) if isinstance(node, dict) else None
            where += f"[{ident if ident is not None else key}]"
        else:
            node = node.get(key) if isinstance(node, dict) else None
            where += f".{key}" if where else str(key)
    return where or "file"


def _cross_check(q: Questionnaire) -> Iterator[tuple[str, str]]:
    """Rules that span items: unique ids and skip logic that points backwards at real values."""
    seen: dict[str, Item] = {}
    dimension_ids: set[str] = set()
    for dimension in q.dimensions:
        if dimension.id in dimension_ids:
            yield f"dimension {dimension.id}", "duplicate dimension id"
        dimension_ids.add(dimension.id)
        if not any(i.is_scored for i in dimension.items):
            yield f"dimension {dimension.id}", "a dimension needs at least one scored item"
        for item in dimension.items:
            where = f"dimension {dimension.id} item {item.id}"
            if item.id in seen:
                yield where, "duplicate item id (ids must be unique across the questionnaire)"
            for cond in item.show_if.referenced() if item.show_if else ():
                target = seen.get(cond.item)
                if target is None:
                    yield where, f"show_if refers to '{cond.item}', which is not an earlier item"
                    continue
                if not target.kind.has_options:
                    yield where, f"show_if refers to '{cond.item}', which has no options"
                    continue
                known = {o.value for o in target.options}
                for value in (cond.in_ or ()) + (cond.not_in or ()):
                    if value not in known:
                        yield where, f"show_if value '{value}' is not an option of '{cond.item}'"
            seen[item.id] = item
    yield from _short_form_check(q)


def _short_form_check(q: Questionnaire) -> Iterator[tuple[str, str]]:
    """The short self-assessment (``self: true`` items) still yields every dimension's score
    and never asks a follow-up without the question it follows."""
    asked = [i for i in q.items() if i.self_assessment]
    if not asked:
        return  # a version without a short form
    if len(asked) > SHORT_FORM_MAX:
        yield (
            "self",
            f"{len(asked)} items are marked 'self'; the short self-assessment asks at most "
            f"{SHORT_FORM_MAX}",
        )
    for dimension in q.dimensions:
        if not any(i.self_assessment and i.is_scored for i in dimension.items):
            yield (
                f"dimension {dimension.id}",
                "the short self-assessment needs at least one scored 'self' item here, or "
                "this dimension has no score",
            )
    for item in asked:
        where = f"dimension {q.dimension_of(item.id).id} item {item.id}"
        if item.kind.free_text:
            yield where, "a free-text item cannot be 'self': the short form is for a phone"
        for cond in item.show_if.referenced() if item.show_if else ():
            parent = q.find_item(cond.item)
            if parent is not None and not parent.self_assessment:
                yield (
                    where,
                    f"is 'self' but follows '{cond.item}', which is not: mark it 'self' too",
                )


@dataclass(frozen=True)
class Catalogue:
    """Every published version of every questionnaire, and which one is current."""

    versions: dict[tuple[str, int], Questionnaire]
    current_id: str

    @property
    def current(self) -> Questionnaire:
        return self.latest(self.current_id)

    def latest(self, questionnaire_id: str) -> Questionnaire:
        number = max(v for (qid, v) in self.versions if qid == questionnaire_id)
        return self.versions[(questionnaire_id, number)]

    def get(self, questionnaire_id: str, version: int) -> Questionnaire:
        return self.versions[(questionnaire_id, version)]


def load_catalogue(folder: Path | str, current_id: str | None = None) -> Catalogue:
    """Load every ``<folder>/<id>/v<N>.yaml``; raise QuestionnaireError with all problems.

    The current questionnaire is ``current_id``, or the only one in the folder.
    """
    folder = Path(folder)
    versions: dict[tuple[str, int], Questionnaire] = {}
    problems: list[Problem] = []
    files = sorted(folder.glob("*/v*.yaml"))
    for path in files:
        try:
            q = load_questionnaire(path)
        except QuestionnaireError as exc:
            problems.extend(exc.problems)
            continue
        expected = (path.parent.name, path.stem)
        if (q.id, f"v{q.version}") != expected:
            problems.append(
                Problem(
                    str(path),
                    "id/version",
                    f"file says {q.id} v{q.version}; its path says {expected[0]} {expected[1]}",
                )
            )
        versions[(q.id, q.version)] = q
    ids = {qid for qid, _ in versions}
    current_id = current_id or (next(iter(ids)) if len(ids) == 1 else "ai_training_needs")
    if current_id not in ids and not problems:
        problems.append(Problem(str(folder), "folder", f"no questionnaire '{current_id}' found"))
    if problems:
        raise QuestionnaireError(problems)
    return Catalogue(versions=versions, current_id=current_id)
