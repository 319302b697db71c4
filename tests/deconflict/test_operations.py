"""Operation deconfliction: each kind of conflict, the margins, one alert per pair, what
each side is told, and what each principal may list (both backends)."""

import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from emco.access.gate import Access
from emco.deconflict import operations as stage
from emco.deconflict.conflicts import Margins
from emco.deconflict.operation_input import OperationIn
from emco.errors import EmcoError, Forbidden, NotFound
from emco.model.enums import Protection, Role, Verdict
from emco.resolve.service import ON_CHANGE, Thresholds, judge, resolve
from emco.settings import Settings
from emco.store import operations as repo
from emco.store.db import Database
from tests import factories
from tests.deconflict.conftest import alerts_of, case, liaison, operator
from tests.web.conftest import Resolved

MARGINS = Margins(place_m=200, time=timedelta(minutes=60))
MORNING = datetime.fromisoformat("2026-02-03T06:00:00+01:00")
ESTATE = (43.3570, 5.3640)  # la Castellane, Marseille


def register(access: Access, reference: str, kind: str = "raid", *,
             at: tuple[float, float] = ESTATE, radius: float = 300,
             start: datetime = MORNING, hours: float = 4,
             targets: list[tuple[str, Any]] | None = None, margins: Margins = MARGINS,
             **fields: Any) -> stage.OperationView:
    return stage.register(access, OperationIn(
        agency=fields.pop("agency", access.principal.agency), reference=reference, kind=kind,
        latitude=at[0], longitude=at[1], radius_m=radius, start=start,
        end=start + timedelta(hours=hours), targets=targets or [], **fields), margins, "FR")


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return point[0] + metres / 111_194.9, point[1]


def seen_by(access: Access) -> str:
    """Everything a service can read of operations: its alerts, its operations."""
    seen: list[Any] = [asdict(a) for a in alerts_of(access)]
    seen += [asdict(stage.read(access, s.operation.id)) for s in stage.listing(access)]
    return json.dumps(seen, ensure_ascii=False, default=str)


# --- place and time -------------------------------------------------------------------------

def test_two_services_on_one_estate_one_morning_are_each_told(db: Database) -> None:
    ofast = register(liaison(db, "OFAST"), "OFAST-OP-1", targets=[("phone", "0612345678")],
                     address="cité de la Castellane, bât. C")
    assert ofast.conflicts == []
    dggn = register(liaison(db, "DGGN"), "DGGN-OP-7", "arrest", at=north_of(ESTATE, 150),
                    radius=200, start=MORNING + timedelta(hours=1), hours=3)
    [conflict] = dggn.conflicts
    assert conflict.kinds == ["place_time"]
    assert conflict.staff_view is None
    told = conflict.disclosure
    assert told is not None
    assert told["other"]["agency"] == "OFAST"
    assert told["other"]["reference"] == "OFAST-OP-1"
    assert told["other"]["contact"]["name"] == "Permanence OFAST"
    # its own area, and the part of its own window the other operation covers
    assert told["area"] == {"latitude": dggn.operation.latitude,
                            "longitude": dggn.operation.longitude, "radius_m": 200}
    assert told["window"] == {"start": "2026-02-03T06:00:00+00:00",
                              "end": "2026-02-03T09:00:00+00:00"}
    [ofast_alert] = alerts_of(liaison(db, "OFAST"))
    [dggn_alert] = alerts_of(liaison(db, "DGGN"))
    assert ofast_alert.id == dggn_alert.id
    assert ofast_alert.severity == "critical"
    assert ofast_alert.disclosure is not None
    assert dggn_alert.disclosure == told
    assert ofast_alert.disclosure["other"]["reference"] == "DGGN-OP-7"
    assert ofast_alert.disclosure["area"]["radius_m"] == 300
    # The staff sees the whole picture.
    [staff] = alerts_of(operator(db))
    assert staff.staff_view is not None
    assert [o["ref"] for o in staff.staff_view["operations"]] == ["OFAST:OFAST-OP-1",
                                                                  "DGGN:DGGN-OP-7"]
    assert staff.staff_view["distance_m"] == pytest.approx(150, abs=1)
    assert "bât. C" in json.dumps(staff.staff_view, ensure_ascii=False)


def test_apart_in_place_or_in_time_is_no_conflict(db: Database) -> None:
    register(liaison(db, "OFAST"), "O-1")
    far = register(liaison(db, "DGGN"), "G-1", at=north_of(ESTATE, 5000))
    later = register(liaison(db, "DNPJ"), "D-1", start=MORNING + timedelta(days=8))
    assert far.conflicts == []
    assert later.conflicts == []
    assert alerts_of(operator(db)) == []


def test_the_margins_widen_place_and_time(db: Database) -> None:
    # 300 m + 200 m of radii, 150 m apart beyond them; 45 minutes between the windows.
    near = north_of(ESTATE, 300 + 200 + 150)
    register(liaison(db, "OFAST"), "O-1")
    assert register(liaison(db, "DGGN"), "G-1", at=near, radius=200,
                    margins=Margins(100, timedelta(minutes=60))).conflicts == []
    assert register(liaison(db, "DNPJ"), "D-1", at=near, radius=200,
                    margins=MARGINS).conflicts != []
    after = MORNING + timedelta(hours=4, minutes=45)
    assert register(liaison(db, "PPDRPJ"), "P-1", start=after,
                    margins=Margins(200, timedelta(minutes=30))).conflicts == []
    assert register(liaison(db, "SCRT"), "S-1", start=after).conflicts != []


def test_one_service_never_conflicts_with_itself(db: Database) -> None:
    register(liaison(db, "OFAST"), "O-1")
    assert register(liaison(db, "OFAST"), "O-2", "arrest").conflicts == []
    assert alerts_of(operator(db)) == []


def test_one_alert_per_pair_however_often_checked(db: Database) -> None:
    register(liaison(db, "OFAST"), "O-1")
    dggn = register(liaison(db, "DGGN"), "G-1", "arrest")
    register(liaison(db, "DNPJ"), "D-1", at=north_of(ESTATE, 50))  # a second pair, twice
    for _ in range(2):
        summary = stage.check_all(operator(db), MARGINS)
        assert summary.pairs == 3
        assert summary.alerts_raised == 0
    stage.add_targets(liaison(db, "DGGN"), dggn.operation.id, [("plate", "AB-123-CD")],
                      MARGINS, "FR")
    stage.change(liaison(db, "DGGN"), dggn.operation.id, MARGINS,
                 end=MORNING + timedelta(hours=5))
    alerts = alerts_of(operator(db))
    assert len(alerts) == 3
    assert len({a.title for a in alerts}) == 3
    with db.read() as conn:
        assert len(repo.all_conflicts(conn)) == 3


def test_a_cancelled_operation_no_longer_conflicts(db: Database) -> None:
    ofast = register(liaison(db, "OFAST"), "O-1")
    register(liaison(db, "DGGN"), "G-1", "arrest")
    view = stage.change(liaison(db, "OFAST"), ofast.operation.id, MARGINS, status="cancelled")
    assert view.conflicts == []
    assert view.operation.status == "cancelled"
    assert [s.in_conflict for s in stage.listing(operator(db))] == [False, False]
    assert len(alerts_of(operator(db))) == 1  # the alert stays, for the staff to close
    again = stage.change(liaison(db, "OFAST"), ofast.operation.id, MARGINS, status="planned")
    assert [c.kinds for c in again.conflicts] == [["place_time"]]


# --- surveillance ---------------------------------------------------------------------------

def test_an_operation_on_a_man_under_surveillance(db: Database) -> None:
    """Customs follow a line for six weeks, far from the estate; OFAST raids its user."""
    surveillance = register(liaison(db, "DNRED"), "DNRED-SURV-1", "surveillance",
                            at=(43.50, 5.60), radius=2000, start=MORNING - timedelta(days=10),
                            hours=40 * 24, targets=[("phone", "06 12 34 56 78"),
                                                    ("plate", "GH-456-JK")])
    raid = register(liaison(db, "OFAST"), "OFAST-OP-1",
                    targets=[("phone", "+33612345678"), ("email", "x@example.org")])
    [conflict] = raid.conflicts
    assert conflict.kinds == ["surveillance"]
    told = conflict.disclosure
    assert told is not None
    assert told["other"]["agency"] == "DNRED"
    assert [t["value"] for t in told["targets"]] == ["+33612345678"]  # as OFAST wrote it
    assert "area" not in told  # no place in common: nothing of a place is said
    assert told["window"]["start"] == "2026-02-03T05:00:00+00:00"
    [dnred] = alerts_of(liaison(db, "DNRED"))
    assert dnred.disclosure is not None
    assert [t["value"] for t in dnred.disclosure["targets"]] == ["06 12 34 56 78"]
    assert dnred.severity == "high"
    # Once the surveillance ends before the raid, nothing.
    stage.change(liaison(db, "DNRED"), surveillance.operation.id, MARGINS,
                 end=MORNING - timedelta(days=1))
    assert stage.read(liaison(db, "OFAST"), raid.operation.id).conflicts == []


def test_no_surveillance_conflict_without_a_surveillance(db: Database) -> None:
    register(liaison(db, "DNRED"), "D-1", "controlled_delivery", at=(43.5, 5.6),
             targets=[("phone", "0612345678")])
    assert register(liaison(db, "OFAST"), "O-1",
                    targets=[("phone", "0612345678")]).conflicts == []


def test_a_surveillance_and_a_raid_on_one_resolved_person(resolved: Resolved) -> None:
    db = resolved.db
    register(liaison(db, "SNRP"), "SNRP-S-1", "surveillance", at=(45.0, 5.0),
             hours=24 * 20, start=MORNING - timedelta(days=2),
             targets=[("record", str(resolved.ids["s-amra"]))])
    raid = register(liaison(db, "OFAST"), "O-1",
                    targets=[("record", str(resolved.ids["o-amra"]))])
    [conflict] = raid.conflicts
    assert conflict.kinds == ["surveillance"]
    [staff] = alerts_of(operator(db))
    assert staff.staff_view is not None
    assert staff.staff_view["shared"] == [resolved.entities()[resolved.ids["o-amra"]]]


def test_a_merge_by_an_operator_is_checked(resolved: Resolved) -> None:
    db = resolved.db
    assert stage.on_entities_changed in ON_CHANGE
    entities = resolved.entities()
    left, right = next((resolved.ids[a], resolved.ids[b])
                       for a in sorted(resolved.ids) if a.startswith("o-")
                       for b in sorted(resolved.ids) if b.startswith("s-")
                       and entities[resolved.ids[a]] != entities[resolved.ids[b]])
    register(liaison(db, "OFAST"), "O-1", targets=[("record", str(left))])
    register(liaison(db, "SNRP"), "S-1", "surveillance", at=(45.0, 5.0),
             targets=[("record", str(right))])
    assert alerts_of(operator(db)) == []
    judge(operator(db), left, right, Verdict.POSITIVE, "même personne", Thresholds(0.5, 0.2),
          override=True)
    [alert] = alerts_of(operator(db))
    assert alert.staff_view is not None
    assert alert.staff_view["conflict"] == ["surveillance"]


# --- transfers ------------------------------------------------------------------------------

LINKS = [
    factories.entity("o-l1", "Associate", person="o-amra", associate="o-benali",
                     relationship="donne des instructions"),
    factories.entity("o-l2", "Call", caller="o-benali", receiver="o-martin"),
    factories.entity("o-l3", "Family", person="o-martin", relative="o-leroy"),
]


@pytest.fixture
def linked(resolved: Resolved, settings: Settings, tmp_path: Path,
           seeded: Callable[..., None]) -> Resolved:
    """AMRA gives his orders to BENALI, who calls MARTIN, whose relative is LEROY: AMRA's
    network within two links is BENALI and MARTIN (OFAST's link records, resolved)."""

    def build() -> None:
        path = factories.write_jsonl(tmp_path / "links.jsonl", LINKS)
        assert factories.load(resolved.db, settings, path, agency="OFAST").accepted == 3
        resolve(operator(resolved.db), Thresholds(0.5, 0.2))

    seeded("linked", build)
    return resolved


def test_the_move_of_a_detainee_the_day_his_network_is_raided(linked: Resolved) -> None:
    db, ids = linked.db, linked.ids
    amra = {"name": "AMRA Mohamed", "birth_date": "1994-02-13"}
    transfer = register(liaison(db, "DAP"), "DAP-TR-1", "transfer", at=(43.30, 5.40),
                        radius=500, start=MORNING + timedelta(hours=2), hours=5,
                        targets=[("person", amra)])
    assert transfer.conflicts == []
    raid = register(liaison(db, "OFAST"), "O-1", at=(45.7, 4.8),
                    targets=[("record", str(ids["o-martin"]))])  # two links away
    [conflict] = raid.conflicts
    assert conflict.kinds == ["transfer"]
    told = conflict.disclosure
    assert told is not None
    assert told["other"]["agency"] == "DAP"
    assert told["other_starts_on"] == "2026-02-03"
    assert [t["value"] for t in told["targets"]] == [str(ids["o-martin"])]
    [dap] = alerts_of(liaison(db, "DAP"))
    assert dap.disclosure is not None
    assert dap.disclosure["targets"][0]["value"] == amra  # as DAP registered him
    assert [t["kind"] for t in dap.disclosure["targets"]] == ["person"]  # its own only
    assert "MARTIN" not in seen_by(liaison(db, "DAP")).upper()
    # Three links away, or three days later, or another man: nothing.
    ofast = liaison(db, "OFAST")
    assert register(ofast, "O-2", at=(45.7, 4.8),
                    targets=[("record", str(ids["o-leroy"]))]).conflicts == []
    assert register(ofast, "O-3", at=(45.7, 4.8), start=MORNING + timedelta(days=3),
                    targets=[("record", str(ids["o-benali"]))]).conflicts == []
    assert register(ofast, "O-4", at=(45.7, 4.8),
                    targets=[("record", str(ids["o-dupont"]))]).conflicts == []
    with db.read() as conn:
        assert len(repo.all_conflicts(conn)) == 1


def test_the_network_changes_with_resolution(linked: Resolved) -> None:
    """Checking every planned operation again after a merge finds the new conflict."""
    db, ids = linked.db, linked.ids
    register(liaison(db, "DAP"), "DAP-TR-1", "extraction", at=(43.30, 5.40),
             targets=[("person", {"name": "AMRA Mohamed", "birth_date": "1994-02-13"})])
    leroy = register(liaison(db, "OFAST"), "O-1", at=(45.7, 4.8),
                     targets=[("record", str(ids["o-leroy"]))])
    assert leroy.conflicts == []
    # An operator decides BENALI and LEROY are one man: LEROY is now one link from AMRA.
    judge(operator(db), ids["o-benali"], ids["o-leroy"], Verdict.POSITIVE, "même homme",
          Thresholds(0.5, 0.2), override=True)
    assert [c.kinds for c in stage.read(liaison(db, "OFAST"),
                                        leroy.operation.id).conflicts] == [["transfer"]]


# --- what each principal sees ---------------------------------------------------------------

def test_a_service_lists_its_own_operations_only(db: Database) -> None:
    mine = register(liaison(db, "OFAST"), "O-1", address="12 rue Secrète")
    theirs = register(liaison(db, "DGGN"), "G-1", "arrest", address="ferme isolée")
    dr = register(liaison(db, "DNPJ", Protection.DR), "D-1", at=(48.0, 2.0),
                  protection="DR")
    ofast = liaison(db, "OFAST")
    assert [s.operation.reference for s in stage.listing(ofast)] == ["O-1"]
    assert [f["properties"]["reference"] for f in stage.features(ofast)["features"]] == [
        "O-1"]
    assert stage.features(ofast)["features"][0]["properties"]["conflict"] is True
    analyst = Access(db, factories.principal("OFAST", Role.ANALYST))
    assert [s.operation.id for s in stage.listing(analyst)] == [mine.operation.id]
    with pytest.raises(NotFound):
        stage.read(ofast, theirs.operation.id)
    assert "ferme isolée" not in seen_by(ofast)
    assert "arrest" not in seen_by(ofast)
    assert "12 rue Secrète" not in seen_by(liaison(db, "DGGN"))
    # The staff sees every service's, DR ones with DR clearance only.
    staff_np = Access(db, factories.principal("EMCO", Role.OPERATOR))
    assert {s.operation.reference for s in stage.listing(staff_np)} == {"O-1", "G-1"}
    assert {f["properties"]["agency"] for f in stage.features(operator(db))["features"]} \
        == {"OFAST", "DGGN", "DNPJ"}
    with pytest.raises(NotFound):
        stage.read(staff_np, dr.operation.id)
    [conflict] = stage.read(operator(db), mine.operation.id).conflicts
    assert conflict.staff_view is not None
    assert conflict.disclosure is None


def test_the_map_features_are_geojson(db: Database) -> None:
    op = register(liaison(db, "OFAST"), "O-1", radius=250)
    [feature] = stage.features(liaison(db, "OFAST"))["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [ESTATE[1], ESTATE[0]]}
    assert feature["properties"] | {"start": None, "end": None} == {
        "id": op.operation.id, "agency": "OFAST", "reference": "O-1", "kind": "raid",
        "status": "planned", "radius_m": 250, "conflict": False,
        "url": f"/operations/{op.operation.id}", "start": None, "end": None}


# --- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "where"), [
    ({"agency": "XXX"}, "agency"),
    ({"start": MORNING, "hours": -1}, "end"),
    ({"hours": 0}, "end"),
    ({"hours": 24 * 400}, "end"),
    ({"start": datetime(2026, 2, 3, 6)}, "start"),
    ({"at": (91.0, 5.0)}, "latitude"),
    ({"at": (43.0, -181.0)}, "longitude"),
    ({"at": (float("nan"), 5.0)}, "latitude"),
    ({"radius": 0}, "radius_m"),
    ({"radius": -5}, "radius_m"),
    ({"radius": 150_000}, "radius_m"),
    ({"kind": "picnic"}, "kind"),
    ({"reference": " "}, "reference"),
    ({"investigation": "NOPE-1"}, "investigation"),
    ({"targets": [("phone", "not a phone")]}, "targets[0].value"),
    ({"targets": [("plate", "AB-123-CD"), ("colour", "red")]}, "targets[1].kind"),
    ({"targets": [("person", {"name": "Karim"})]}, "targets[0].value.birth_date"),
    ({"targets": [("record", "999999")]}, "targets[0]"),
    ({"protection": "TS"}, "protection"),
])
def test_bad_input_names_the_field_and_writes_nothing(db: Database, fields: dict[str, Any],
                                                      where: str) -> None:
    access = operator(db) if fields.get("agency") == "XXX" else liaison(db, "OFAST")
    fields = dict(fields)
    reference = fields.pop("reference", "O-1")
    kind = fields.pop("kind", "raid")
    with pytest.raises(EmcoError) as refused:
        register(access, reference, kind, **fields)
    assert refused.value.field == where
    assert 400 <= refused.value.status_code < 500
    assert stage.listing(operator(db)) == []
    with db.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM targets").scalar_one() == 0


def test_a_liaison_registers_for_its_own_service_only(db: Database) -> None:
    with pytest.raises(Forbidden):
        register(liaison(db, "OFAST"), "G-1", agency="DGGN")
    staff = register(operator(db), "G-1", agency="DGGN")  # the staff may, on its behalf
    assert staff.operation.agency == "DGGN"
    with pytest.raises(NotFound):  # another service's operation is out of its sight
        stage.add_targets(liaison(db, "DNPJ"), staff.operation.id,
                          [("phone", "0612345678")], MARGINS, "FR")


def test_references_are_unique_per_service(db: Database) -> None:
    register(liaison(db, "OFAST"), "O-1")
    with pytest.raises(EmcoError) as twice:
        register(liaison(db, "OFAST"), "O-1", at=(48.0, 2.0))
    assert twice.value.status_code == 409
    assert twice.value.field == "reference"
    assert register(liaison(db, "DGGN"), "O-1", at=(48.0, 2.0)).conflicts == []


def test_an_operation_serves_its_own_service_s_investigation(db: Database) -> None:
    case(liaison(db, "OFAST"), "OFAST-2026-042", ("phone", "0611111111"))
    case(liaison(db, "DNPJ"), "DNPJ-2026-117", ("phone", "0622222222"))
    view = register(liaison(db, "OFAST"), "O-1", investigation="OFAST:OFAST-2026-042")
    assert view.investigation == "OFAST-2026-042"
    with pytest.raises(EmcoError) as other:
        register(liaison(db, "OFAST"), "O-2", investigation="DNPJ:DNPJ-2026-117")
    assert other.value.field == "investigation"
    # The lead of the investigation is whom the other side calls.
    dggn = register(liaison(db, "DGGN"), "G-1", "arrest")
    [conflict] = dggn.conflicts
    assert conflict.disclosure is not None
    assert conflict.disclosure["other"]["contact"]["name"] == "Cdt Ofast"


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_registrations_are_serialised_on_postgresql(db: Database) -> None:
    """Two services registering at once must each see the other's operation: the check
    holds a lock until its transaction ends (SQLite's writers are serial already)."""
    with db.write() as first:
        repo.lock(first)
        with db.engine.connect() as second:
            taken = second.exec_driver_sql(
                f"SELECT pg_try_advisory_xact_lock({repo._LOCK_KEY})").scalar_one()
            second.rollback()
    assert taken is False


def test_the_converse_lookup_agrees_with_what_targets_designate(resolved: Resolved) -> None:
    """`designating` (which operations' targets designate something) is the converse of
    `emco.store.targets.designations` (what each target designates)."""
    from emco.store import operation_targets
    from emco.store import targets as targets_repo

    db, ids = resolved.db, resolved.ids
    amra = resolved.entities()[ids["o-amra"]]
    register(liaison(db, "OFAST"), "O-1", targets=[
        ("phone", "06 11 22 33 44"), ("record", str(ids["o-benali"])), ("entity", amra),
        ("person", {"name": "Lucas MARTIN", "birth_date": "1990-07-07"}),
        ("plate", "AB-123-CD")])
    register(liaison(db, "SNRP"), "S-1", "surveillance", at=(45.0, 5.0), targets=[
        ("record", str(ids["s-dupont"])), ("person", {"name": "Paul ROUX",
                                                      "birth_date": "1970-04-04"})])
    with db.read() as conn:
        every = [t for ts in targets_repo.of_owners(conn, "operation", [1, 2]).values()
                 for t in ts]
        theirs = targets_repo.designations(conn, [t.id for t in every])
        assert operation_targets.designations(conn, [t.id for t in every]) == theirs
        assert operation_targets.of_operations(conn, [1, 2]) == \
            targets_repo.of_owners(conn, "operation", [1, 2])
        for target in every:
            for des in theirs[target.id]:
                held = operation_targets.designating(conn, {des})
                assert des in held[target.owner_id][target.id], (target, des)
        everything = set().union(*theirs.values())
        held = operation_targets.designating(conn, everything)
        assert {tid: des for h in held.values() for tid, des in h.items()} == theirs
