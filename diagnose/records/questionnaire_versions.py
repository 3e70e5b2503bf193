"""Questionnaire versions: a copy of each version in the database, and the version an
assessment was answered with."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from ..questionnaire.schema import Catalogue, Questionnaire
from ..storage import now, transaction


class QuestionnaireChanged(Exception):
    """A published questionnaire version was edited in place."""


def register_questionnaires(db: sqlite_utils.Database, catalogue: Catalogue) -> None:
    """Keep a copy of every questionnaire version in the database, and refuse silent edits.

    The copy lets an assessment be shown with the exact version it was answered with even if
    the file is later removed; the digest catches a published version edited in place.
    """
    with transaction(db):
        for (qid, version), questionnaire in sorted(catalogue.versions.items()):
            row = db.execute(
                "SELECT digest FROM questionnaire_versions "
                "WHERE questionnaire_id = ? AND version = ?",
                [qid, version],
            ).fetchone()
            digest = questionnaire.digest()
            if row is None:
                db.execute(
                    "INSERT INTO questionnaire_versions VALUES (?, ?, ?, ?, ?)",
                    [qid, version, digest, questionnaire.model_dump_json(by_alias=True), now()],
                )
            elif row[0] != digest and _has_assessments(db, qid, version):
                raise QuestionnaireChanged(
                    f"questionnaire {qid} v{version} has assessments but its file has changed "
                    f"since; publish the change as v{version + 1} instead of editing v{version}"
                )
            elif row[0] != digest:
                # Not answered by anyone yet: the edit is still a draft of this version.
                db.execute(
                    "UPDATE questionnaire_versions SET digest = ?, definition = ? "
                    "WHERE questionnaire_id = ? AND version = ?",
                    [digest, questionnaire.model_dump_json(by_alias=True), qid, version],
                )


def _has_assessments(db: sqlite_utils.Database, qid: str, version: int) -> bool:
    return (
        db.execute(
            "SELECT 1 FROM assessments WHERE questionnaire_id = ? AND questionnaire_version = ?",
            [qid, version],
        ).fetchone()
        is not None
    )


def questionnaire_of(
    db: sqlite_utils.Database, catalogue: Catalogue, assessment: dict[str, Any]
) -> Questionnaire:
    """The questionnaire version an assessment was answered with."""
    key = (assessment["questionnaire_id"], assessment["questionnaire_version"])
    if key in catalogue.versions:
        return catalogue.versions[key]
    row = db.execute(
        "SELECT definition FROM questionnaire_versions WHERE questionnaire_id = ? AND version = ?",
        list(key),
    ).fetchone()
    return Questionnaire.model_validate_json(row[0])
