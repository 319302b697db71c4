"""Distances, boxes and windows (pure), and the indexed search of operations near in place
and time against a brute force over every pair (both backends)."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from emco.deconflict.conflicts import Margins, Scan, assess, candidates
from emco.deconflict.spatial import distance_m, overlap, windows_meet
from emco.model.enums import OperationKind, OperationStatus, Protection
from emco.store import operations as repo
from emco.store.db import Database
from emco.store.operations import NewOperation, Place

T0 = datetime(2026, 2, 3, 5, tzinfo=UTC)


def test_distances_on_the_sphere() -> None:
    paris, marseille = (48.8566, 2.3522), (43.2965, 5.3698)
    assert distance_m(*paris, *marseille) == pytest.approx(661_000, rel=0.005)
    assert distance_m(*paris, *paris) == 0
    # a degree of latitude is about 111 km everywhere
    assert distance_m(0, 0, 1, 0) == pytest.approx(111_195, rel=1e-3)
    assert distance_m(*paris, 48.8566 + 650 / 111_195, 2.3522) == pytest.approx(650, abs=1)


def test_windows_and_margins() -> None:
    hour = timedelta(hours=1)
    assert windows_meet(T0, T0 + hour, T0 + hour / 2, T0 + 2 * hour)
    assert not windows_meet(T0, T0 + hour, T0 + hour, T0 + 2 * hour)  # end to start
    assert windows_meet(T0, T0 + hour, T0 + 2 * hour, T0 + 3 * hour, margin=hour + hour / 60)
    assert not windows_meet(T0, T0 + hour, T0 + 2 * hour, T0 + 3 * hour, margin=hour)
    assert overlap(T0, T0 + 2 * hour, T0 + hour, T0 + 3 * hour) == (T0 + hour, T0 + 2 * hour)
    assert overlap(T0, T0 + hour, T0 + 2 * hour, T0 + 3 * hour) is None


def test_duration_classes() -> None:
    assert repo.duration_class(T0, T0 + timedelta(minutes=30)) == 0
    assert repo.duration_class(T0, T0 + timedelta(hours=1)) == 0
    assert repo.duration_class(T0, T0 + timedelta(hours=1, seconds=1)) == 1
    assert repo.duration_class(T0, T0 + timedelta(hours=4)) == 2
    assert repo.duration_class(T0, T0 + timedelta(days=366)) == repo.DURATION_CLASSES - 1


def test_the_indexed_search_finds_what_a_brute_force_finds(db: Database) -> None:
    """Operations of every length and size in one region, checked one by one against
    every other: the search by duration class and box must miss no pair."""
    rng = random.Random(5)
    margins = Margins(150, timedelta(minutes=45))
    hours = [0.5, 1, 3, 7, 20, 50, 200, 900, 3000, 8000]
    with db.write() as conn:
        for i in range(160):
            start = T0 + timedelta(hours=rng.uniform(0, 24 * 60))
            end = start + timedelta(hours=rng.choice(hours) * rng.uniform(0.5, 1))
            radius = rng.choice([50, 300, 2000, 20_000, 100_000])
            repo.create(conn, NewOperation(
                rng.choice(["OFAST", "DGGN", "DNPJ"]), f"R-{i}",
                rng.choice([OperationKind.RAID, OperationKind.ARREST]), None,
                Place(43.3 + rng.uniform(-0.6, 0.6), 5.4 + rng.uniform(-0.8, 0.8), radius),
                start, end, Protection.NP, None, None), "test", T0)
    with db.read() as conn:
        ops = repo.unscoped(conn, repo.planned_ids(conn))
        for op in ops.values():
            scan = Scan(conn, margins, op)
            found = {i for i, other in candidates(scan).items()
                     if assess(scan, other) is not None}
            expected = {
                o.id for o in ops.values() if o.id != op.id and o.agency != op.agency
                and windows_meet(op.starts_at, op.ends_at, o.starts_at, o.ends_at,
                                 margins.time)
                and distance_m(op.latitude, op.longitude, o.latitude, o.longitude)
                <= op.radius_m + o.radius_m + margins.place_m}
            assert found == expected, op.reference
    assert all(o.status == OperationStatus.PLANNED for o in ops.values())
