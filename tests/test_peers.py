"""Peer figures cannot be used to learn one firm's scores, even with firms the reader made."""

import json

import pytest

from diagnose.auth import create_center, create_user
from diagnose.services.peers import MIN_FIRMS, ROUNDING, PeerComparison, peer_scores
from diagnose.storage import connect, migrate, now

DIMENSIONS = ("leadership", "data_infra", "ai_use", "skills", "training", "needs")


@pytest.fixture
def db(tmp_path):
    database = connect(tmp_path / "peers.sqlite3")
    migrate(database)
    database.execute("INSERT INTO questionnaire_versions VALUES ('q', 1, 'd', '{}', 'x')")
    yield database
    database.conn.close()


class World:
    def __init__(self, db):
        self.db, self.centers, self.number = db, {}, 1_000_000_000

    def center(self, name):
        if name not in self.centers:
            center_id = create_center(self.db, name, "seoul")
            user_id = create_user(self.db, center_id, f"{name}@example.com", name, "pw")
            self.centers[name] = (center_id, user_id)
        return self.centers[name]

    def firm(self, center, scores, industry="J", employees=20, decided=True, origin="center"):
        """A firm with one submitted diagnosis of these six scores (decided by its center)."""
        center_id, user_id = self.center(center)
        stamp, self.number = now(), self.number + 1
        firm_id = self.db.execute(
            "INSERT INTO firms (center_id, name, business_number, region, industry, employees, "
            "revenue_band, contact_name, created_at, updated_at, origin) "
            "VALUES (?, 'f', ?, 'seoul', ?, ?, 'b', 'c', ?, ?, ?)",
            [center_id, str(self.number), industry, employees, stamp, stamp, origin],
        ).lastrowid
        assessment = self.db.execute(
            "INSERT INTO assessments (firm_id, center_id, consultant_id, questionnaire_id, "
            "questionnaire_version, status, created_at, updated_at, submitted_at) "
            "VALUES (?, ?, ?, 'q', 1, 'submitted', ?, ?, ?)",
            [firm_id, center_id, user_id, stamp, stamp, stamp],
        ).lastrowid
        prediction = self.db.execute(
            "INSERT INTO predictions (assessment_id, model_version, track, probabilities, "
            "explanation, scores, created_at) VALUES (?, 'm', 'ax', '{}', '{}', ?, ?)",
            [
                assessment,
                json.dumps({d: {"score": s} for d, s in zip(DIMENSIONS, scores, strict=True)}),
                stamp,
            ],
        ).lastrowid
        if decided:
            self.db.execute(
                "INSERT INTO decisions (assessment_id, prediction_id, predicted_track, "
                "final_track, action, decided_by, decided_at) "
                "VALUES (?, ?, 'ax', 'ax', 'confirm', ?, ?)",
                [assessment, prediction, user_id, stamp],
            )
        return firm_id


VICTIM = (73.0, 41.5, 12.0, 88.0, 35.0, 60.5)


def _attack(world, attacker_firms, attacker_scores):
    """The probe: read the peer means from one's own firm and subtract what one knows."""
    result = peer_scores(world.db, "J", 20, attacker_firms[0])
    if result is None:
        return None
    known = [s for f, s in zip(attacker_firms, attacker_scores, strict=True)][1:]
    n = len(known) + 1
    return [result.means[d] * n - sum(k[i] for k in known) for i, d in enumerate(DIMENSIONS)]


def test_five_firms_of_ones_own_in_an_empty_group_reveal_nothing(db):
    """The probe of the issue: center A creates five firms beside center B's single firm."""
    world = World(db)
    world.firm("B", VICTIM)
    own = [(50.0 + i, 50.0, 50.0, 50.0, 50.0, 50.0) for i in range(5)]
    firms = [world.firm("A", s) for s in own]
    assert _attack(world, firms, own) is None
    assert peer_scores(db, "J", 20, firms[0]) is None


def test_a_self_assessments_report_cannot_be_filled_with_a_centers_own_firms(db):
    """An anonymous reader may be any center: 9 firms of its own, one firm each of two
    others, and its self-assessment elsewhere; it would know all but two firms."""
    world = World(db)
    world.firm("B", VICTIM)
    world.firm("D", VICTIM)
    for i in range(9):
        world.firm("A", (50.0 + i,) * 6)
    viewer = world.firm("R", (10.0,) * 6, decided=False, origin="self")
    assert peer_scores(db, "J", 20, viewer) is None


def test_only_confirmed_diagnoses_of_other_centers_count(db):
    world = World(db)
    for center in ("B", "C", "D", "E"):
        for _ in range(3):
            world.firm(center, (60.0,) * 6)
    mine = world.firm("A", (10.0,) * 6)
    for _ in range(20):
        world.firm("A", (0.0,) * 6)  # the reader's own firms never enter its figures
        world.firm("F", (0.0,) * 6, decided=False)  # undecided: not counted
        world.firm("G", (0.0,) * 6, decided=False, origin="self")  # self-assessed: not counted
    world.firm("B", (0.0,) * 6, industry="C")  # another industry
    world.firm("B", (0.0,) * 6, employees=200)  # another size band
    result = peer_scores(db, "J", 20, mine)
    assert isinstance(result, PeerComparison)
    assert result.means == dict.fromkeys(DIMENSIONS, 60)
    assert result.size_band == (10, 49)
    assert not hasattr(result, "count")  # no count is shown anywhere


def test_means_are_rounded_so_one_new_firm_cannot_be_read_from_a_difference(db):
    world = World(db)
    for i, center in enumerate(("B", "C", "D", "E") * 3):
        world.firm(center, (40.0 + i,) * 6)
    mine = world.firm("A", (10.0,) * 6)
    before = peer_scores(db, "J", 20, mine)
    world.firm("B", VICTIM)
    after = peer_scores(db, "J", 20, mine)
    assert before and after
    assert all(v % ROUNDING == 0 for v in [*before.means.values(), *after.means.values()])
    n = 4 * 3 + 1
    assert n > MIN_FIRMS
    guess = [after.means[d] * n - before.means[d] * (n - 1) for d in DIMENSIONS]
    # each guess may be off by up to ROUNDING/2 * (2n - 1) points: useless for a 0-100 score
    assert max(abs(g - v) for g, v in zip(guess, VICTIM, strict=True)) > 10
