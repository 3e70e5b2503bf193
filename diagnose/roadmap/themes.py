"""What a firm's stated task is about: AI use-case themes read by a text model, not by words.

The stated task, problem and data description (Korean or English) are cut into morphemes by
Kiwi (kiwipiepy, whose model installs from the package index) and classified by a
scikit-learn model: TF-IDF over the morphemes and over character n-grams of them, one
calibrated linear classifier per theme, so a task can carry two themes ("고장 예측과 외관 불량
검출"). Below ``ABSTAIN_LINE`` the model does not guess: the planner plans a project on the
firm's own words and the consultant is asked to confirm the theme. A consultant's setting is
kept (``assessment_themes``, source 'consultant') and is a label the next training takes.

The labelled statements live beside the catalogue (``roadmap_templates/task_themes.yaml``),
versioned with it. The lines below are the tool's assumptions, checked by the held-out test
and ``bench/themes.py``, to be validated against consultants' confirmations.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..storage import transaction

CORPUS = Path(__file__).resolve().parents[2] / "roadmap_templates" / "task_themes.yaml"
# A theme is taken when its calibrated probability reaches this (tool assumption).
ABSTAIN_LINE = 0.35
# A second theme is taken when it also reaches this (tool assumption).
SECOND_LINE = 0.5
MAX_THEMES = 2
SEED = 20261202
# Parts of speech that carry a task's meaning: nouns, verb and adjective stems, roots,
# foreign words and numbers; particles and endings are dropped.
_KEPT_TAGS = ("NNG", "NNP", "NNB", "VV", "VA", "XR", "SL", "SH", "SN", "NR", "MAG")


@dataclass(frozen=True)
class ThemeSpec:
    id: str
    name: dict[str, str]
    projects: tuple[str, ...]  # project modules, the first the track offers is planned


@dataclass(frozen=True)
class Theme:
    """One theme of an assessment's task: the model's reading or a consultant's setting."""

    theme: str
    confidence: float
    confirmed: bool = False  # a consultant set or confirmed it


@dataclass(frozen=True)
class Reading:
    """What the model reads in one text: the themes it takes, or none (it abstains) with the
    theme it would have guessed."""

    themes: tuple[Theme, ...]
    best: Theme | None

    @property
    def abstained(self) -> bool:
        return not self.themes


@dataclass(frozen=True)
class Corpus:
    version: int
    themes: tuple[ThemeSpec, ...]
    texts: tuple[str, ...]
    labels: tuple[tuple[str, ...], ...]

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.themes]

    def digest(self) -> str:
        raw = json.dumps([self.version, self.texts, self.labels], ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()[:12]


def load_corpus(path: Path = CORPUS) -> Corpus:
    """The themes and labelled statements; raises on a label that names no theme."""
    # libyaml's parser when PyYAML has it: the corpus parses in a tenth of the time (a
    # consumer's first report reads it to find the model for it)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    themes = tuple(
        ThemeSpec(t["id"], dict(t["name"]), tuple(t.get("projects", ()))) for t in raw["themes"]
    )
    ids = {t.id for t in themes}
    texts: list[str] = []
    labels: list[tuple[str, ...]] = []
    for theme, statements in raw["examples"].items():
        for text in statements:
            texts.append(str(text))
            labels.append((theme,))
    for entry in raw.get("multi", []):
        texts.append(str(entry["text"]))
        labels.append(tuple(entry["themes"]))
    unknown = {t for label in labels for t in label} - ids
    if unknown:
        raise ValueError(f"{path}: labels name unknown themes: {sorted(unknown)}")
    return Corpus(int(raw.get("version", 1)), themes, tuple(texts), tuple(labels))


@lru_cache(maxsize=1)
def theme_specs() -> dict[str, ThemeSpec]:
    return {t.id: t for t in load_corpus().themes}


# --- the analyser --------------------------------------------------------------------------

_kiwi_lock = threading.Lock()


@lru_cache(maxsize=1)
def _kiwi():
    """Kiwi, loaded when a task is first read. Without its multi-word dictionary (proper nouns
    of several words: "뉴욕 타임스") it loads in about a third of the time (1.3 s of CPU
    against 3.9 s, its first analysis counted) and cuts every labelled statement of the corpus
    into the same morphemes (``tests/test_themes.py`` checks it)."""
    from kiwipiepy import Kiwi

    return Kiwi(**KIWI_OPTIONS)


KIWI_OPTIONS = {"load_multi_dict": False}


@lru_cache(maxsize=4096)
def morphemes(text: str) -> str:
    """The meaning-carrying morphemes of a text, space-separated, foreign words lowercased
    ("프레스 라인 설비 고장 예측 …"). Both the word and the character features read this."""
    with _kiwi_lock:  # one analyser per process; its calls are not documented as thread-safe
        tokens = _kiwi().tokenize(text)
    kept = [(t.form.lower() if t.tag == "SL" else t.form) for t in tokens if t.tag in _KEPT_TAGS]
    return " ".join(kept)


# --- the model -----------------------------------------------------------------------------


def build_model():
    """TF-IDF on morphemes (words and pairs) and on character n-grams within them, then one
    calibrated linear SVM per theme."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.svm import LinearSVC

    features = FeatureUnion(
        [
            (
                "morphemes",
                TfidfVectorizer(
                    analyzer="word", token_pattern=r"\S+", ngram_range=(1, 2), sublinear_tf=True
                ),
            ),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=2
                ),
            ),
        ]
    )
    classifier = OneVsRestClassifier(
        CalibratedClassifierCV(
            LinearSVC(C=0.5, random_state=SEED), cv=3, method="sigmoid", ensemble=False
        )
    )
    return make_pipeline(features, classifier)


@dataclass
class TaskModel:
    ids: list[str]
    pipeline: Any
    version: str  # corpus digest plus the consultants' labels it learnt from

    def probabilities(self, texts: list[str]) -> list[dict[str, float]]:
        rows = self.pipeline.predict_proba([morphemes(t) for t in texts])
        return [{i: float(p) for i, p in zip(self.ids, row, strict=True)} for row in rows]

    def read(self, text: str) -> Reading:
        """The themes of one text, at most two, or none below the line."""
        if not text.strip():
            return Reading((), None)
        probs = self.probabilities([text])[0]
        return reading_of(probs)


def reading_of(probs: dict[str, float]) -> Reading:
    ranked = sorted(probs.items(), key=lambda kv: -kv[1])
    best = Theme(ranked[0][0], round(ranked[0][1], 3))
    if ranked[0][1] < ABSTAIN_LINE:
        return Reading((), best)
    taken = [best]
    for theme, p in ranked[1:MAX_THEMES]:
        if p >= SECOND_LINE:
            taken.append(Theme(theme, round(p, 3)))
    return Reading(tuple(taken), best)


def train(corpus: Corpus, extra: list[tuple[str, tuple[str, ...]]] = (), indices=None) -> TaskModel:
    """Fit the model on the corpus (or the rows ``indices`` of it) plus extra labels."""
    from sklearn.preprocessing import MultiLabelBinarizer

    rows = range(len(corpus.texts)) if indices is None else indices
    texts = [corpus.texts[i] for i in rows] + [t for t, _ in extra]
    labels = [corpus.labels[i] for i in rows] + [tuple(ls) for _, ls in extra]
    binarizer = MultiLabelBinarizer(classes=corpus.ids)
    y = binarizer.fit_transform(labels)
    pipeline = build_model()
    pipeline.fit([morphemes(t) for t in texts], y)
    extra_digest = hashlib.sha256(repr(sorted(extra)).encode()).hexdigest()[:6]
    return TaskModel(corpus.ids, pipeline, f"{corpus.digest()}-{extra_digest}")


_model_lock = threading.Lock()
_models: dict[str, TaskModel] = {}
SHIPPED = Path(__file__).resolve().parents[1] / "trained_models"
# The types a task-model file may hold besides skops' defaults; anything else is refused.
TRUSTED_TYPES = (
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.multiclass.OneVsRestClassifier",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._label.LabelBinarizer",
    "sklearn.svm._classes.LinearSVC",
    "numpy.float64",
    "numpy.int64",
    "builtins.slice",
)


def model_path(folder: Path, corpus: Corpus) -> Path:
    return folder / f"task-themes-{corpus.digest()}.npz"


def save_model(model: TaskModel, path: Path) -> Path:
    """Save a trained task model as plain arrays (``ArrayPipeline``: a NumPy ``.npz`` that
    holds numbers and strings only, loaded without pickle and without scikit-learn)."""
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = ArrayPipeline.from_pipeline(model.pipeline).arrays()
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, ids=np.array(model.ids), version=np.array(model.version), **arrays)
    tmp.replace(path)
    return path


def load_model(path: Path) -> TaskModel:
    """A saved task model: plain arrays (``.npz``, loaded in a few milliseconds), or a skops
    file of an earlier version (``.skops``, loaded with the trusted-type list)."""
    if path.suffix == ".npz":
        import numpy as np

        with np.load(path, allow_pickle=False) as saved:
            arrays = {k: saved[k] for k in saved.files}
        return TaskModel(
            [str(i) for i in arrays.pop("ids")],
            ArrayPipeline(**{k: v for k, v in arrays.items() if k != "version"}),
            str(arrays["version"]),
        )
    import skops.io as sio

    untrusted = set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES)
    if untrusted:
        raise ValueError(f"{path} holds untrusted types: {sorted(untrusted)}")
    saved = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    return TaskModel(list(saved["ids"]), saved["pipeline"], saved["version"])


class ArrayPipeline:
    """The fitted model (``build_model``) as plain arrays, computing what its
    ``predict_proba`` computes with NumPy alone: the two TF-IDF vectorisers (their
    vocabularies and idf weights; lowercase, sublinear tf, l2 norm), one linear SVM per theme
    (its weights and intercept) and its sigmoid calibration (``1 / (1 + exp(a f + b))``).
    Loading it needs no scikit-learn, skops or pickle: a consumer's first report reads a task
    in milliseconds, not seconds. ``tests/test_themes.py`` checks it gives the fitted
    pipeline's probabilities on the whole corpus."""

    _SPACES = re.compile(r"\s\s+")
    _TOKEN = re.compile(r"\S+")  # the word vectoriser's token_pattern

    def __init__(self, words, chars, idf_words, idf_chars, coef, intercept, a, b):
        import numpy as np

        self.words = {str(t): i for i, t in enumerate(words)}
        self.chars = {str(t): i for i, t in enumerate(chars)}
        self.idf_words = np.asarray(idf_words, dtype=np.float64)
        self.idf_chars = np.asarray(idf_chars, dtype=np.float64)
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.a = np.asarray(a, dtype=np.float64)
        self.b = np.asarray(b, dtype=np.float64)

    @classmethod
    def from_pipeline(cls, pipeline) -> ArrayPipeline:
        if isinstance(pipeline, cls):
            return pipeline
        import numpy as np

        union, ovr = pipeline.steps[0][1], pipeline.steps[-1][1]
        (_w, word_vec), (_c, char_vec) = union.transformer_list
        for vec, analyzer in ((word_vec, "word"), (char_vec, "char_wb")):
            if not (vec.analyzer == analyzer and vec.lowercase and vec.sublinear_tf
                    and vec.use_idf and vec.norm == "l2"):  # fmt: skip
                raise ValueError("not the model build_model makes")
        coef, intercept, a, b = [], [], [], []
        for estimator in ovr.estimators_:
            (calibrated,) = estimator.calibrated_classifiers_  # ensemble=False: one
            (calibrator,) = calibrated.calibrators
            svm = calibrated.estimator
            if list(svm.classes_) != [0, 1] or calibrated.method != "sigmoid":
                raise ValueError("not the model build_model makes")
            coef.append(svm.coef_[0])
            intercept.append(svm.intercept_[0])
            a.append(calibrator.a_)
            b.append(calibrator.b_)

        def terms(vec):
            ordered = sorted(vec.vocabulary_.items(), key=lambda kv: kv[1])
            return [t for t, _i in ordered]

        return cls(
            terms(word_vec), terms(char_vec), word_vec.idf_, char_vec.idf_,
            np.array(coef), np.array(intercept), np.array(a), np.array(b),
        )  # fmt: skip

    def arrays(self) -> dict[str, Any]:
        import numpy as np

        return {
            "words": np.array(list(self.words), dtype=str),
            "chars": np.array(list(self.chars), dtype=str),
            "idf_words": self.idf_words,
            "idf_chars": self.idf_chars,
            "coef": self.coef,
            "intercept": self.intercept,
            "a": self.a,
            "b": self.b,
        }

    @classmethod
    def _word_terms(cls, text: str) -> list[str]:
        tokens = cls._TOKEN.findall(text.lower())
        return tokens + [" ".join(pair) for pair in zip(tokens, tokens[1:], strict=False)]

    @classmethod
    def _char_terms(cls, text: str) -> list[str]:
        """Character 1- to 3-grams inside words padded with a space (scikit-learn's
        ``char_wb``)."""
        grams = []
        for word in cls._SPACES.sub(" ", text.lower()).split():
            word = f" {word} "
            for n in (1, 2, 3):
                offset = 0
                grams.append(word[:n])
                while offset + n < len(word):
                    offset += 1
                    grams.append(word[offset : offset + n])
                if offset == 0:  # a word shorter than n counts once
                    break
        return grams

    @staticmethod
    def _tfidf(terms: list[str], vocabulary: dict[str, int], idf, offset: int):
        import math
        from collections import Counter

        counts = Counter(vocabulary[t] for t in terms if t in vocabulary)
        columns = sorted(counts)
        values = [(math.log(counts[c]) + 1.0) * idf[c] for c in columns]
        norm = math.sqrt(sum(v * v for v in values)) or 1.0
        return [c + offset for c in columns], [v / norm for v in values]

    def predict_proba(self, texts: list[str]):
        import numpy as np

        rows = []
        for text in texts:
            wc, wv = self._tfidf(self._word_terms(text), self.words, self.idf_words, 0)
            cc, cv = self._tfidf(
                self._char_terms(text), self.chars, self.idf_chars, len(self.words)
            )
            columns = np.array(wc + cc, dtype=np.intp)
            decision = self.coef[:, columns] @ np.array(wv + cv) + self.intercept
            rows.append(1.0 / (1.0 + np.exp(self.a * decision + self.b)))
        return np.array(rows).reshape(len(texts), len(self.intercept))


def current_model(
    extra: list[tuple[str, tuple[str, ...]]] = (), folder: Path | None = None
) -> TaskModel:
    """The task model: the one retrained with the consultants' labels in ``folder`` (the
    instance's models, ``flask themes train``) when there is one for the current corpus,
    else the shipped one (``diagnose/trained_models``), else trained here once a process
    (several seconds: ship the file). With ``extra`` labels it is trained on them."""
    # The digest is read once a process (as ``_fresh`` does): a cached model is returned
    # without parsing the corpus again.
    key = f"{load_corpus_digest()}-{hashlib.sha256(repr(sorted(extra)).encode()).hexdigest()[:6]}"
    with _model_lock:
        if key in _models:
            return _models[key]
        corpus = load_corpus()
        model = None
        if not extra:
            for place in (folder, SHIPPED):
                found = place and _saved(place, corpus)
                if found:
                    model = load_model(found)
                    break
        _models.clear()
        _models[key] = model or train(corpus, list(extra))
        return _models[key]


def _saved(folder: Path, corpus: Corpus) -> Path | None:
    """The model saved in ``folder`` for ``corpus``: plain arrays, else an earlier skops file."""
    for path in (model_path(folder, corpus), model_path(folder, corpus).with_suffix(".skops")):
        if path.exists():
            return path
    return None


# --- an assessment's task ------------------------------------------------------------------

TASK_ITEMS = ("need_task", "need_problem", "need_data_desc")


def task_text(answers: dict[str, Any]) -> str:
    """What the model reads: the stated task first, then the problem and the data."""
    parts = [answers.get(i) for i in TASK_ITEMS]
    return "\n".join(p.strip() for p in parts if isinstance(p, str) and p.strip())


def read_task(model: TaskModel, answers: dict[str, Any]) -> Reading:
    """The stated task decides its themes; the problem and the data description are read with
    it only when the task alone is too short to say (the model abstains on it), so that
    "support tickets" as the data does not make a fine-tuning task a customer-service one."""
    task = answers.get("need_task")
    if isinstance(task, str) and task.strip():
        reading = model.read(task)
        if not reading.abstained:
            return reading
    return model.read(task_text(answers))


def consultant_labels(db) -> list[tuple[str, tuple[str, ...]]]:
    """The consultants' settings as labelled statements: (task text, themes)."""
    if "assessment_themes" not in db.table_names():
        return []
    rows = db.execute(
        "SELECT assessment_id, group_concat(theme) FROM assessment_themes "
        "WHERE source = 'consultant' GROUP BY assessment_id"
    ).fetchall()
    labels = []
    for assessment_id, themes in rows:
        text = task_text(_answers(db, assessment_id))
        known = tuple(t for t in sorted(themes.split(",")) if t in theme_specs())
        if text and known:
            labels.append((text, known))
    return labels


def _answers(db, assessment_id: int) -> dict[str, Any]:
    rows = db.execute(
        "SELECT item_id, value FROM answers WHERE assessment_id = ? AND item_id IN (?, ?, ?)",
        [assessment_id, *TASK_ITEMS],
    ).fetchall()
    return {item: json.loads(value) for item, value in rows}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_assessment(
    db, assessment_id: int, model: TaskModel | None = None, answers: dict[str, Any] | None = None
) -> Reading:
    """Read an assessment's task and keep the reading (replacing an older model's);
    ``answers``: its task answers when the caller has them already."""
    answers = _answers(db, assessment_id) if answers is None else answers
    text = task_text(answers)
    model = model or current_model(folder=_instance_models())
    reading = read_task(model, answers)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with transaction(db):
        db.execute(
            "DELETE FROM assessment_themes WHERE assessment_id = ? AND source = 'model'",
            [assessment_id],
        )
        db.execute(
            "INSERT OR REPLACE INTO task_readings (assessment_id, text_digest, model_version, "
            "best_theme, best_confidence, read_at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                assessment_id,
                _digest(text),
                model.version,
                reading.best.theme if reading.best else None,
                reading.best.confidence if reading.best else None,
                now,
            ],
        )
        for t in reading.themes:
            db.execute(
                "INSERT INTO assessment_themes (assessment_id, theme, confidence, source, "
                "set_at) VALUES (?, ?, ?, 'model', ?)",
                [assessment_id, t.theme, t.confidence, now],
            )
    return reading


def set_themes(db, assessment_id: int, themes: list[str], user_id: int | None) -> list[Theme]:
    """A consultant sets (or confirms) the themes of an assessment's task; the setting wins
    over the model's reading from then on and is a label for the next training."""
    specs = theme_specs()
    unknown = [t for t in themes if t not in specs]
    if unknown or not themes or len(set(themes)) > MAX_THEMES:
        raise ValueError(f"one or two known themes, not {themes!r}")
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with transaction(db):
        db.execute(
            "DELETE FROM assessment_themes WHERE assessment_id = ? AND source = 'consultant'",
            [assessment_id],
        )
        for theme in dict.fromkeys(themes):
            db.execute(
                "INSERT INTO assessment_themes (assessment_id, theme, confidence, source, "
                "set_by, set_at) VALUES (?, ?, 1.0, 'consultant', ?, ?)",
                [assessment_id, theme, user_id, now],
            )
    return [Theme(t, 1.0, True) for t in dict.fromkeys(themes)]


def _stored(db, ids: list[int]) -> dict[int, dict[str, Any]]:
    marks = ",".join("?" * len(ids))
    readings = {
        r[0]: {"digest": r[1], "version": r[2], "best": (r[3], r[4])}
        for r in db.execute(
            "SELECT assessment_id, text_digest, model_version, best_theme, best_confidence "
            f"FROM task_readings WHERE assessment_id IN ({marks})",
            ids,
        ).fetchall()
    }
    out: dict[int, dict[str, Any]] = {i: {"model": [], "consultant": []} for i in ids}
    for assessment_id, theme, confidence, source in db.execute(
        "SELECT assessment_id, theme, confidence, source FROM assessment_themes "
        f"WHERE assessment_id IN ({marks}) ORDER BY confidence DESC, theme",
        ids,
    ).fetchall():
        out[assessment_id][source].append(Theme(theme, confidence, source == "consultant"))
    for i in ids:
        out[i]["reading"] = readings.get(i)
    return out


def themes_for_assessments(db, assessment_ids) -> dict[int, list[Theme]]:
    """The themes of each assessment's task: a consultant's setting when there is one
    (``confirmed``), else the model's reading (read now, and kept, when the task text or the
    model changed since). An empty list: the model abstained and no consultant has set one."""
    ids = [int(i) for i in dict.fromkeys(assessment_ids)]
    if not ids:
        return {}
    stored = _stored(db, ids)
    result: dict[int, list[Theme]] = {}
    model: TaskModel | None = None
    for i in ids:
        if stored[i]["consultant"]:
            result[i] = stored[i]["consultant"]
            continue
        reading = stored[i]["reading"]
        answers = _answers(db, i)
        text = task_text(answers)
        if reading and reading["digest"] == _digest(text) and _fresh(reading["version"]):
            result[i] = stored[i]["model"]
            continue
        model = model or current_model(folder=_instance_models())
        result[i] = list(read_assessment(db, i, model, answers).themes)
    return result


def suggested_theme(db, assessment_id: int) -> Theme | None:
    """The model's best guess for an assessment it abstained on (for the consultant)."""
    row = db.execute(
        "SELECT best_theme, best_confidence FROM task_readings WHERE assessment_id = ?",
        [assessment_id],
    ).fetchone()
    return Theme(row[0], row[1]) if row and row[0] else None


def _instance_models() -> Path | None:
    """The instance's models folder when running in the app (where ``flask themes train``
    saves the model retrained with the consultants' labels)."""
    try:
        from flask import current_app

        return Path(current_app.instance_path) / "models"
    except RuntimeError:
        return None


def _fresh(version: str) -> bool:
    """A stored reading counts while the corpus it was read with is the current one."""
    return version.split("-")[0] == load_corpus_digest()


@lru_cache(maxsize=1)
def load_corpus_digest() -> str:
    return load_corpus().digest()


def theme_name(theme: str, lang: str) -> str:
    spec = theme_specs().get(theme)
    return spec.name.get(lang, theme) if spec else theme
