"""Target deconfliction: which pairs of investigations overlap, one alert per pair however
many triggers, and what each side is told (both backends)."""

import json
from dataclasses import asdict
from pathlib import Path

from sqlalchemy import func, select

from emco.access.gate import Access
from emco.alerts.service import alert_detail
from emco.deconflict import investigations as register_
from emco.deconflict.overlaps import (
    _pairs_touching,
    after_ingest,
    alert_key,
    check_targets,
    on_entities_changed,
)
from emco.deconflict.targets import parse_target, shared_targets
from emco.model.enums import InvestigationStatus, Verdict
from emco.resolve.service import ON_CHANGE, Thresholds, judge
from emco.settings import Settings
from emco.store import alerts as alerts_store
from emco.store import investigations as investigations_repo
from emco.store import targets as targets_repo
from emco.store.db import Database
from emco.store.tables import alert_events
from tests import factories
from tests.deconflict.conftest import alerts_of, case, liaison, operator
from tests.web.conftest import Resolved

THRESHOLDS = Thresholds(0.5, 0.2)
SECRET_TITLE = "Filature du convoi de Tanger (SECRET DNPJ)"


def _events(db: Database) -> int:
    """Rows of the alerts' history: a raise that changes nothing writes none."""
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(alert_events)).scalar_one())


def _everything_seen_by(access: Access) -> str:
    """All a service can read of deconfliction: its alerts (with history), its cases."""
    seen = [asdict(alert_detail(access, a.id)) for a in alerts_of(access)]
    seen += [asdict(register_.read(access, i.id)) for i in register_.listing(access)]
    return json.dumps(seen, ensure_ascii=False, default=str)


def test_two_services_on_one_bare_identifier_are_told_each_only_its_own(db: Database) -> None:
    ofast = case(liaison(db, "OFAST"), "OFAST-2026-042", ("phone", "06 12 34 56 78"),
                 ("email", "karim@example.org"), title="Trafic Marseille nord")
    dnpj = case(liaison(db, "DNPJ"), "DNPJ-2026-117", ("phone", "06.12.34.56.78"),
                ("iban", "FR7630006000011234567890189"), title=SECRET_TITLE)
    [staff] = alerts_of(operator(db))
    assert staff.kind == "target_overlap"
    assert staff.severity == "high"
    assert staff.staff_view is not None
    assert {i["reference"] for i in staff.staff_view["investigations"]} == {
        "OFAST-2026-042", "DNPJ-2026-117"}
    assert SECRET_TITLE in json.dumps(staff.staff_view, ensure_ascii=False)
    [mine] = alerts_of(liaison(db, "OFAST"))
    d = mine.disclosure
    assert d is not None
    assert d["investigation"]["reference"] == "OFAST-2026-042"
    assert d["matched"] == [{"id": ofast.targets[0].id, "kind": "phone",
                             "value": "06 12 34 56 78"}]
    assert d["other_investigation"]["reference"] == "DNPJ-2026-117"
    assert d["other_investigation"]["lead_contact"]["email"] == "chef@dnpj.invalid"
    assert d["other_service"]["contact_point"]["name"] == "Permanence DNPJ"
    ofast_sees = _everything_seen_by(liaison(db, "OFAST"))
    for theirs in (SECRET_TITLE, "06.12.34.56.78", "FR7630006000011234567890189"):
        assert theirs not in ofast_sees
    assert f'"id": {dnpj.targets[0].id}, "kind"' not in ofast_sees
    dnpj_sees = _everything_seen_by(liaison(db, "DNPJ"))
    for theirs in ("Trafic Marseille nord", "06 12 34 56 78", "karim@example.org"):
        assert theirs not in dnpj_sees
    assert "OFAST-2026-042" in dnpj_sees
    assert "06.12.34.56.78" in dnpj_sees
    assert not alerts_of(liaison(db, "SNRP"))  # not a party


def test_one_service_two_cases_or_a_closed_case_raise_nothing(db: Database) -> None:
    ofast = liaison(db, "OFAST")
    case(ofast, "O-1", ("plate", "AB-123-CD"))
    case(ofast, "O-2", ("plate", "ab123cd"))
    closed = case(liaison(db, "DNPJ"), "D-1").investigation
    register_.set_status(liaison(db, "DNPJ"), closed.id, InvestigationStatus.CLOSED)
    assert not alerts_of(operator(db))
    register_.set_status(liaison(db, "DNPJ"), closed.id, InvestigationStatus.OPEN)
    register_.add_target(liaison(db, "DNPJ"), closed.id, parse_target("plate", "AB 123 CD"))
    found = alerts_of(operator(db))
    assert sorted(sorted(i["reference"] for i in a.staff_view["investigations"])
                  for a in found if a.staff_view) == [["D-1", "O-1"], ["D-1", "O-2"]]
    assert check_targets(operator(db), THRESHOLDS).pairs == 2


def test_one_alert_per_pair_however_many_triggers(db: Database, settings: Settings,
                                                   tmp_path: Path) -> None:
    a = case(liaison(db, "OFAST"), "O-1", ("phone", "0612345678"), ("email", "k@ex.org"))
    b = case(liaison(db, "DNPJ"), "D-1", ("phone", "+33612345678"))
    register_.add_target(liaison(db, "DNPJ"), b.investigation.id,
                         parse_target("email", "K@EX.ORG"))
    path = factories.write_jsonl(tmp_path / "dnpj.jsonl", [
        factories.person("d-1", "Karim BENALI", phone="06 12 34 56 78", email="k@ex.org")])
    summary = factories.load(db, settings, path, agency="DNPJ")
    after_ingest(operator(db), summary.batch, THRESHOLDS)
    first = check_targets(operator(db), THRESHOLDS)
    assert (first.pairs, first.raised) == (1, 0)
    events = _events(db)
    again = check_targets(operator(db), THRESHOLDS)  # idempotent: nothing changed
    assert (again.pairs, again.raised, again.updated) == (1, 0, 0)
    assert _events(db) == events
    [alert] = alerts_of(operator(db))
    assert alert.staff_view is not None
    shared = {s["designation"][0] for s in alert.staff_view["shared"]}
    assert shared == {"K", "R"}  # the two keys, and the record carrying both
    with db.read() as conn:
        assert alerts_store.find(conn, "target_overlap", alert_key(
            b.investigation.id, a.investigation.id)) is not None
    [mine] = alerts_of(liaison(db, "DNPJ"))
    assert mine.disclosure is not None
    assert sorted(t["value"] for t in mine.disclosure["matched"]) == ["+33612345678",
                                                                      "K@EX.ORG"]


def test_an_arriving_record_joins_a_phone_and_a_person(db: Database, settings: Settings,
                                                       tmp_path: Path) -> None:
    case(liaison(db, "OFAST"), "O-1", ("phone", "06 99 88 77 66"))
    case(liaison(db, "SNRP"), "S-1",
         ("person", {"name": "Jean DUPONT", "birth_date": "1975-03-12"}))
    assert not alerts_of(operator(db))
    path = factories.write_jsonl(tmp_path / "dap.jsonl", [
        factories.person("p-1", "DUPONT Jean", birthDate="1975-03-12",
                         phone="+33699887766")])
    summary = factories.load(db, settings, path, agency="DNPJ")
    found = after_ingest(operator(db), summary.batch, THRESHOLDS)
    assert found is not None
    assert (found.pairs, found.raised, found.rematched) == (1, 1, 1)
    [alert] = alerts_of(liaison(db, "SNRP"))
    assert alert.disclosure is not None
    assert alert.disclosure["matched"][0]["value"] == {"name": "Jean DUPONT",
                                                       "birth_date": "1975-03-12"}


def test_resolved_entities_join_targets_of_two_services(resolved: Resolved) -> None:
    db = resolved.db
    case(liaison(db, "OFAST"), "O-1", ("phone", "06 11 22 33 44"))
    case(liaison(db, "SNRP"), "S-1",
         ("person", {"name": "AMRA Mohamed", "birth_date": "1994-02-13"}))
    case(liaison(db, "DNPJ"), "D-1",  # his namesake, born in 1961: another man
         ("person", {"name": "Mohamed AMRA", "birth_date": "1961-09-30"}))
    [alert] = alerts_of(operator(db))
    assert alert.staff_view is not None
    assert {i["agency"] for i in alert.staff_view["investigations"]} == {"OFAST", "SNRP"}
    amra = resolved.entities()[resolved.ids["o-amra"]]
    assert [s["designation"] for s in alert.staff_view["shared"]] == [amra]


def test_a_merge_by_an_operator_makes_an_overlap(resolved: Resolved) -> None:
    db = resolved.db
    assert on_entities_changed in ON_CHANGE
    entities = resolved.entities()
    # Two records of two services that resolution keeps apart (say, a typing error the
    # model could not see through), which an operator then merges.
    left, right = next((resolved.ids[a], resolved.ids[b])
                       for a in sorted(resolved.ids) if a.startswith("o-")
                       for b in sorted(resolved.ids) if b.startswith("s-")
                       and entities[resolved.ids[a]] != entities[resolved.ids[b]])
    case(liaison(db, "OFAST"), "O-1", ("record", str(left)))
    case(liaison(db, "SNRP"), "S-1", ("record", str(right)))
    assert not alerts_of(operator(db))
    judge(operator(db), left, right, Verdict.POSITIVE, "même personne, vu au dossier",
          THRESHOLDS, override=True)
    [alert] = alerts_of(operator(db))
    assert alert.staff_view is not None
    assert [s["designation"] for s in alert.staff_view["shared"]] == [
        resolved.entities()[left]]
    judge(operator(db), left, right, Verdict.NEGATIVE, "erreur de saisie", THRESHOLDS,
          override=True)  # split again: the alert stays, for the staff to close
    assert len(alerts_of(operator(db))) == 1


def test_lookups_from_targets_find_what_the_set_based_check_finds(db: Database) -> None:
    phones = ["0611111111", "0622222222", "0633333333", "0644444444"]
    services = ["OFAST", "DNPJ", "SNRP", "DGGN"]
    for n in range(8):  # each case targets two of the phones: many overlaps, some not
        agency = services[n % 4]
        case(liaison(db, agency), f"{agency}-{n}", ("phone", phones[n % 4]),
             ("phone", phones[(n * 3 + 1) % 4]))
    with db.read() as conn:
        everything = targets_repo.all_shared(conn, "investigation",
                                             investigations_repo.is_open)
        all_ids = list(targets_repo.by_ids(conn, range(1, 100)))
    full = {(s.owner_a, s.owner_b) for s in everything}
    with operator(db).writing(*_check_passage()) as p:
        incremental = _pairs_touching(p, set(all_ids))
    assert incremental == full
    assert len(full) > 4
    with db.read() as conn:
        a, b = sorted(full)[0]
        assert shared_targets(conn, "investigation", a, b)


def _check_passage() -> tuple[object, object]:
    from emco.access.audit import AuditEvent
    from emco.model.enums import AuditAction, Permission

    return Permission.INVESTIGATION_WRITE, AuditEvent(AuditAction.DECONFLICT_CHECK)


def test_an_overlap_is_critical_when_both_sides_plan_an_operation(db: Database) -> None:
    from datetime import UTC, datetime, timedelta

    from emco.deconflict import operations
    from emco.deconflict.conflicts import Margins
    from emco.deconflict.operation_input import OperationIn

    case(liaison(db, "OFAST"), "O-1", ("phone", "0612345678"))
    case(liaison(db, "DNPJ"), "D-1", ("phone", "+33612345678"))
    [alert] = alerts_of(operator(db))
    assert alert.severity == "high"
    soon = datetime.now(UTC) + timedelta(days=10)
    for n, (agency, inv) in enumerate((("OFAST", "O-1"), ("DNPJ", "D-1"))):
        start = soon + timedelta(days=5 * n)  # another week, another town: no conflict
        operations.register(liaison(db, agency), OperationIn(
            agency=agency, reference=f"{agency}-OP", kind="surveillance",
            latitude=43.3 + n, longitude=5.4, radius_m=100, start=start,
            end=start + timedelta(hours=2), investigation=inv),
            Margins(place_m=0, time=timedelta(0)), "FR")
    check_targets(operator(db), THRESHOLDS)
    [alert] = alerts_of(operator(db))
    assert alert.severity == "critical"
