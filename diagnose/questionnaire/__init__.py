"""The questionnaire as data: load and validate versioned files, and the ids the code relies on."""

from .schema import (
    Catalogue,
    Dimension,
    Item,
    Option,
    Problem,
    ProfileField,
    Questionnaire,
    QuestionnaireError,
    Text,
    load_catalogue,
    load_questionnaire,
)

__all__ = [
    "Catalogue",
    "Dimension",
    "Item",
    "Option",
    "Problem",
    "ProfileField",
    "Questionnaire",
    "QuestionnaireError",
    "Text",
    "load_catalogue",
    "load_questionnaire",
]
