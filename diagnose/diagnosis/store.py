"""A submitted assessment becomes a diagnosis: scores, a track, reasons; consultants decide.

Plain functions over the database and plain values. Every prediction is stored with the
model version that made it; every confirmation or override is stored with who and when,
and becomes a labelled example for the next model.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from ..questionnaire.schema import Questionnaire
from ..storage import now, transaction
from .model import Prediction, TrackModel
from .scorecard import assess

if TYPE_CHECKING:
    from .training import Example
from .policy import TRACKS
from .scoring import dimension_scores, readiness

log = logging.getLogger(__name__)
SHIPPED_MODELS = Path(__file__).parent.parent / "trained_models"


# --- which model is current ------------------------------------------------------------------


def current_model_path(instance_models: Path) -> Path:
    """The accepted model: the instance's own (retrained here) or the one shipped with the app."""
    for folder in (instance_models, SHIPPED_MODELS):
        pointer = folder / "CURRENT"
        if pointer.exists():
            return folder / pointer.read_text().strip()
    raise FileNotFoundError(f"no CURRENT model in {instance_models} or {SHIPPED_MODELS}")


def set_current(folder: Path, model_path: Path) -> None:
    pointer = folder / "CURRENT"
    tmp = pointer.with_suffix(".tmp")
    tmp.write_text(model_path.name + "\n")
    tmp.replace(pointer)


# --- diagnosing ------------------------------------------------------------------------------


def diagnose(
    db: sqlite_utils.Database,
    model: TrackModel,
    questionnaire: Questionnaire,
    assessment_id: int,
    profile: Mapping[str, Any],
    answers: Mapping[str, Any],
) -> dict[str, Any]:
    """Score, decide by the scorecard, explain and store, with the shadow model's track beside
    it; return the diagnosis as plain data."""
    scores = dimension_scores(questionnaire, answers)
    index = readiness(scores)
    prediction = assess(questionnaire, profile, answers, model=model)
    scores_json = {k: asdict(v) for k, v in scores.items()}
    explanation = {
        k: v
        for k, v in prediction.to_json().items()
        if k not in ("track", "probabilities", "model_version")
    }
    with transaction(db):
        cursor = db.execute(
            "INSERT INTO predictions (assessment_id, model_version, track, probabilities, "
            "explanation, scores, readiness, created_at, decided_by, shadow_track) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'scorecard', ?)",
            [
                assessment_id,
                prediction.model_version,
                prediction.track,
                json.dumps(prediction.probabilities),
                json.dumps(explanation, ensure_ascii=False),
                json.dumps(scores_json),
                index,
                now(),
                (prediction.shadow or {}).get("track"),
            ],
        )
    log.info(
        "assessment %s diagnosed as %s by the scorecard (shadow model %s)",
        assessment_id,
        prediction.track,
        prediction.model_version,
    )
    return latest_diagnosis(db, assessment_id) | {"prediction_id": cursor.lastrowid}


def latest_diagnosis(db: sqlite_utils.Database, assessment_id: int) -> dict[str, Any] | None:
    """The newest prediction of an assessment with its scores and the consultant's decision."""
    rows = list(
        db.query(
            "SELECT * FROM predictions WHERE assessment_id = ? ORDER BY id DESC LIMIT 1",
            [assessment_id],
        )
    )
    if not rows:
        return None
    row = rows[0]
    explanation = json.loads(row["explanation"])
    if "rule" not in explanation:  # stored by a model before the policy explained itself
        explanation = {**explanation, **_policy_explanation(db, assessment_id, row)}
    prediction = Prediction.from_json(
        {
            "track": row["track"],
            "probabilities": json.loads(row["probabilities"]),
            "model_version": row["model_version"],
            **explanation,
        }
    )
    return {
        "prediction_id": row["id"],
        "prediction": prediction,
        "scores": json.loads(row["scores"]),
        "readiness": row["readiness"],
        "created_at": row["created_at"],
        "decision": latest_decision(db, assessment_id),
    }


def _policy_explanation(
    db: sqlite_utils.Database, assessment_id: int, row: Mapping[str, Any]
) -> dict[str, Any]:
    """The policy's findings for a diagnosis stored before they were kept with it.

    The stored track and probabilities stay as the model of the day gave them; the reasons
    are the policy's, from the stored answers and the questionnaire version they answer.
    """
    from ..records.assessments import load_answers

    record = db.execute(
        "SELECT a.profile, v.definition FROM assessments a JOIN questionnaire_versions v "
        "ON v.questionnaire_id = a.questionnaire_id AND v.version = a.questionnaire_version "
        "WHERE a.id = ?",
        [assessment_id],
    ).fetchone()
    questionnaire = Questionnaire.model_validate_json(record[1])
    answers, _notes = load_answers(db, assessment_id)
    scorecard = assess(questionnaire, json.loads(record[0]), answers).to_json()
    return {
        k: v
        for k, v in scorecard.items()
        if k not in ("track", "probabilities", "model_version", "counterfactual", "sensitivity")
    }


# --- consultants' decisions ------------------------------------------------------------------


class DecisionError(ValueError):
    """A decision that cannot be recorded (an override without a reason, an unknown track)."""


def decide(
    db: sqlite_utils.Database,
    assessment_id: int,
    user_id: int,
    final_track: str,
    reason: str = "",
) -> dict[str, Any]:
    """Confirm the predicted track or override it (an override needs a reason)."""
    if final_track not in TRACKS:
        raise DecisionError(f"unknown track {final_track!r}")
    with transaction(db):
        row = db.execute(
            "SELECT id, track FROM predictions WHERE assessment_id = ? ORDER BY id DESC LIMIT 1",
            [assessment_id],
        ).fetchone()
        if row is None:
            raise DecisionError("the assessment has no diagnosis yet")
        action = "confirm" if final_track == row[1] else "override"
        if action == "override" and not reason.strip():
            raise DecisionError("an override needs a reason")
        db.execute(
            "INSERT INTO decisions (assessment_id, prediction_id, predicted_track, final_track, "
            "action, reason, decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [assessment_id, row[0], row[1], final_track, action, reason.strip(), user_id, now()],
        )
    log.info("assessment %s: %s to %s by user %s", assessment_id, action, final_track, user_id)
    return latest_decision(db, assessment_id)


def latest_decision(db: sqlite_utils.Database, assessment_id: int) -> dict[str, Any] | None:
    rows = list(
        db.query(
            "SELECT d.*, u.name AS decided_by_name FROM decisions d "
            "JOIN users u ON u.id = d.decided_by "
            "WHERE d.assessment_id = ? ORDER BY d.id DESC LIMIT 1",
            [assessment_id],
        )
    )
    return rows[0] if rows else None


def override_rates(
    db: sqlite_utils.Database, center_id: int, decided_by: int | None = None
) -> dict[str, Any]:
    """How often the center's consultants override the model, per predicted track and person
    (``decided_by``: only that person's decisions, what a consultant may see).

    Counts each assessment's latest decision once.
    """
    latest = """
        SELECT d.* FROM decisions d
        JOIN assessments a ON a.id = d.assessment_id
        WHERE a.center_id = ? AND d.id = (
            SELECT MAX(id) FROM decisions WHERE assessment_id = d.assessment_id)
    """ + (" AND d.decided_by = ?" if decided_by is not None else "")
    by_track = {t: {"decisions": 0, "overrides": 0, "to": {}} for t in TRACKS}
    by_consultant: dict[str, dict[str, int]] = {}
    for row in db.query(
        f"SELECT l.*, u.name AS consultant FROM ({latest}) l JOIN users u ON u.id = l.decided_by",
        [center_id] + ([decided_by] if decided_by is not None else []),
    ):
        track = by_track[row["predicted_track"]]
        track["decisions"] += 1
        person = by_consultant.setdefault(row["consultant"], {"decisions": 0, "overrides": 0})
        person["decisions"] += 1
        if row["action"] == "override":
            track["overrides"] += 1
            person["overrides"] += 1
            track["to"][row["final_track"]] = track["to"].get(row["final_track"], 0) + 1
    for stats in [*by_track.values(), *by_consultant.values()]:
        stats["rate"] = (
            round(stats["overrides"] / stats["decisions"], 3) if stats["decisions"] else None
        )
    return {"by_track": by_track, "by_consultant": by_consultant}


def real_examples(db: sqlite_utils.Database) -> list[Example]:  # noqa: F821
    """Every assessment's latest consultant decision, as a labelled example.

    An override is an independent label; a confirmation of the model's own track is not
    (``Example.independent``). Features are computed by item id, so answers given with an
    older questionnaire version still count for the items that version shares with the
    current one.
    """
    from ..records.assessments import load_answers
    from .training import Example  # scikit-learn only where a model is trained

    examples = []
    for row in db.query("""
        SELECT a.*, d.final_track, d.action FROM decisions d
        JOIN assessments a ON a.id = d.assessment_id
        WHERE d.id = (SELECT MAX(id) FROM decisions WHERE assessment_id = d.assessment_id)
        ORDER BY a.id
    """):
        answers, _ = load_answers(db, row["id"])
        examples.append(
            Example(json.loads(row["profile"]), answers, row["final_track"], row["action"])
        )
    return examples
