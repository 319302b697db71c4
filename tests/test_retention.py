"""Retention (`emco.retention`), on both backends: a record past its date is purged with
every row that names it, in every table, one audit row each and no content; an
intelligence service's record gets a due review instead, which its liaison (or the
staff) decides; a dry run changes nothing; audit rows past their keeping period are
purged and the chain still verifies from the anchor, the real `emco audit verify` too.

Records come in through ingestion; the rows the other stages derive from them (entities,
judgements, targets, declarations, signals, edges, assessments) are written with SQL, so
that each table is known to hold a row naming the record before the purge.
"""

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from emco import retention
from emco.access import audit
from emco.access.gate import Access
from emco.errors import BadInput, Conflict, Forbidden, NotFound
from emco.model.enums import Protection, Role
from emco.resolve.service import Thresholds
from emco.retention import Rules
from emco.settings import Settings
from emco.store import tables as t
from emco.store.db import Database
from tests import factories
from tests.test_cli import _configure, invoke
from tests.test_cli_audit import emco

PAST, FUTURE = "2020-01-01", "2090-01-01"
RULES = Rules(frozenset({"DGSI"}), 3)
TODAY = date(2026, 6, 1)
NOW = datetime.now(UTC)


def _load(db: Database, settings: Settings, tmp_path: Path, agency: str,
          *people: tuple[str, str, str]) -> dict[str, int]:
    entities = [factories.entity(sid, "Person", meta={"retention": until}, name=name,
                                 phone="06 12 34 56 78")
                for sid, name, until in people]
    path = factories.write_jsonl(tmp_path / f"{agency}.jsonl", entities)
    assert factories.load(db, settings, path, agency=agency).accepted == len(people)
    with db.read() as conn:
        return {s: i for i, s in conn.execute(sa.select(t.records.c.id, t.records.c.source_id)
                                              .where(t.records.c.agency_code == agency))}


def _derive(db: Database, gone: int, kept: int) -> None:
    """A row naming the record `gone` (and one naming `kept`) in every derived table."""
    with db.engine.begin() as c:
        c.execute(sa.insert(t.record_entities), [{"record_id": gone, "entity_id": "E00000001"},
                                                 {"record_id": kept, "entity_id": "E00000001"}])
        c.execute(sa.insert(t.judgements).values(
            left_id=min(gone, kept), right_id=max(gone, kept), verdict="positive", score=0.9,
            author="model:1", created_at=NOW))
        for rid in (gone, kept):
            c.execute(sa.insert(t.resolve_features).values(record_id=rid, kind="person",
                                                           content_hash="x:6", features="{}"))
            c.execute(sa.insert(t.resolve_keys).values(kind="n", key=f"k{rid}", record_id=rid))
        inv = c.execute(sa.insert(t.investigations).values(
            agency_code="OFAST", reference="INV-1", title="t", contact_name="c",
            status="open", protection="NP", created_by="x", created_at=NOW,
            updated_at=NOW)).inserted_primary_key[0]
        target = c.execute(sa.insert(t.targets).values(
            owner_type="investigation", owner_id=inv, agency_code="OFAST", kind="record",
            value=f"record:{gone}", record_id=gone, added_by="x",
            added_at=NOW)).inserted_primary_key[0]
        c.execute(sa.insert(t.target_matches).values(target_id=target, record_id=gone))
        c.execute(sa.insert(t.declarations).values(agency_code="OFAST", record_id=gone,
                                                   escort=1, author="x", at=NOW))
        c.execute(sa.insert(t.handling_requests).values(
            record_id=gone, kind="disseminate", owner_agency="OFAST", for_agency="DNPJ",
            motif="m", requested_by="x", requested_at=NOW, status="pending"))
        c.execute(sa.insert(t.risk_signals), [
            {"record_id": gone, "source_record_id": None, "type": "threat",
             "agency_code": "OFAST", "reliability": "B", "credibility": "2",
             "origin": "record", "detail": "menaces"},
            {"record_id": kept, "source_record_id": gone, "type": "threat",
             "agency_code": "OFAST", "reliability": "B", "credibility": "2",
             "origin": "record", "detail": "menaces"}])
        c.execute(sa.insert(t.network_edges), [
            {"source": "E00000001", "target": "E00000002", "kind": "call",
             "agency_code": "OFAST", "protection": "NP", "weight": 1, "count": 1,
             "evidence": json.dumps([f"record:{gone}"])},
            {"source": "E00000001", "target": "E00000003", "kind": "call",
             "agency_code": "OFAST", "protection": "NP", "weight": 1, "count": 1,
             "evidence": json.dumps([f"record:{kept}"])}])
        run = c.execute(sa.insert(t.risk_runs).values(
            at=NOW, username="x", catalogue_version="1", persons=1,
            detail="{}")).inserted_primary_key[0]
        parts = [{"type": "threat", "record": gone, "source_record": None},
                 {"type": "threat", "record": kept, "source_record": None}]
        c.execute(sa.insert(t.assessments).values(
            run_id=run, entity_id="E00000001", score=1.0, level="high", criteria="[]",
            parts=json.dumps(parts), catalogue_version="1", at=NOW))


def _naming(db: Database, record_id: int) -> dict[str, int]:
    """Rows of every table that name `record_id`, by table (zeros left out)."""
    with db.read() as c:
        counts: dict[str, int] = {}
        for table in t.metadata.sorted_tables:
            for column in ("record_id", "left_id", "right_id", "source_record_id"):
                if column in table.c and not (table.name.startswith("operation")
                                              and column in ("left_id", "right_id")):
                    n = c.execute(sa.select(sa.func.count()).select_from(table)
                                  .where(table.c[column] == record_id)).scalar_one()
                    if n:
                        counts[f"{table.name}.{column}"] = n
        n = c.execute(sa.select(sa.func.count()).select_from(t.records)
                      .where(t.records.c.id == record_id)).scalar_one()
        if n:
            counts["records"] = n
        edges = [json.loads(e) for (e,) in c.execute(sa.select(t.network_edges.c.evidence))]
        if any(f"record:{record_id}" in e for e in edges):
            counts["network_edges.evidence"] = 1
        parts = [json.loads(p) for (p,) in c.execute(sa.select(t.assessments.c.parts))]
        if any(p["record"] == record_id for ps in parts for p in ps):
            counts["assessments.parts"] = 1
    return counts


def _admin(db: Database) -> Access:
    return Access(db, factories.principal("EMCO", Role.ADMIN, username="adm"))


def _audit(db: Database, action: str) -> list[dict[str, Any]]:
    with db.read() as c:
        return [dict(r) for r in c.execute(sa.select(t.audit_events).where(
            t.audit_events.c.action == action).order_by(t.audit_events.c.seq)).mappings()]


def test_purge_removes_every_row_naming_the_record(db: Database, settings: Settings,
                                                   tmp_path: Path) -> None:
    ids = _load(db, settings, tmp_path, "OFAST", ("old", "Karim BENALI", PAST),
                ("new", "Jean DUPONT", FUTURE))
    _derive(db, ids["old"], ids["new"])
    before = _naming(db, ids["old"])
    assert {"records", "statements.record_id", "record_keys.record_id",
            "judgements.left_id", "targets.record_id", "target_matches.record_id",
            "declarations.record_id", "handling_requests.record_id",
            "risk_signals.record_id", "risk_signals.source_record_id",
            "network_edges.evidence", "assessments.parts"} <= set(before)
    kept_before = _naming(db, ids["new"])
    operator = Access(db, factories.principal("EMCO", Role.OPERATOR, clearance=Protection.DR))
    follow = retention.FollowUp(operator, Thresholds(0.5, 0.2))
    summary = retention.run(_admin(db), RULES, today=TODAY, follow=follow)
    assert (summary.purged, summary.reviews_created) == (1, 0)
    assert summary.entities_changed >= 1  # the stages were told (E00000001 lost a record)
    assert _audit(db, "resolve:batch:run")  # re-resolved, as after an ingest
    assert _audit(db, "risk:assessment:run")  # an assessment had run: it ran again
    assert summary.purged_records == ["OFAST:old"]
    assert _naming(db, ids["old"]) == {}
    kept = _naming(db, ids["new"])
    assert kept["records"] == 1
    assert kept["statements.record_id"] == kept_before["statements.record_id"]
    with db.read() as c:
        target = c.execute(sa.select(t.targets)).mappings().one()
    assert (target["record_id"], target["removed_by"]) == (None, "retention")
    [row] = _audit(db, "retention:record:purge")
    assert json.loads(row["objects"]) == [f"record:{ids['old']}"]
    assert json.loads(row["detail"]) == {"agency": "OFAST", "source_id": "old",
                                         "retain_until": PAST}
    assert "BENALI" not in json.dumps(row, default=str)
    with db.read() as c:
        assert audit.verify(c).ok
    again = retention.run(_admin(db), RULES, today=TODAY)
    assert again.purged == 0


def test_dry_run_changes_nothing(db: Database, settings: Settings, tmp_path: Path) -> None:
    ids = _load(db, settings, tmp_path, "OFAST", ("old", "Karim BENALI", PAST))
    summary = retention.run(_admin(db), RULES, today=TODAY, dry_run=True)
    assert summary.purged == 1
    assert _naming(db, ids["old"])["records"] == 1
    assert _audit(db, "retention:record:purge") == []


def test_only_the_administrator_runs_it(db: Database) -> None:
    with pytest.raises(Forbidden):
        retention.run(Access(db, factories.principal("OFAST", Role.LIAISON)), RULES,
                      today=TODAY)
    [row] = _audit(db, "retention:batch:run")
    assert row["outcome"] == "denied"


def test_intelligence_records_are_reviewed_not_purged(db: Database, settings: Settings,
                                                      tmp_path: Path) -> None:
    ids = _load(db, settings, tmp_path, "DGSI", ("a", "Karim BENALI", PAST),
                ("b", "Jean DUPONT", PAST))
    summary = retention.run(_admin(db), RULES, today=TODAY)
    assert (summary.purged, summary.reviews_created) == (0, 2)
    assert retention.run(_admin(db), RULES, today=TODAY).reviews_created == 0  # still due
    dgsi = Access(db, factories.principal("DGSI", Role.LIAISON))
    ofast = Access(db, factories.principal("OFAST", Role.LIAISON))
    staff = Access(db, factories.principal("EMCO", Role.OPERATOR, clearance=Protection.DR))
    due = {r.source_id: r for r in retention.reviews(dgsi)}
    assert set(due) == {"a", "b"}
    assert retention.reviews(ofast) == []
    assert len(retention.reviews(staff)) == 2
    with pytest.raises(NotFound):  # another service's review is out of sight
        retention.decide(ofast, due["a"].id, purge=True, today=TODAY)
    with pytest.raises(BadInput) as late:
        retention.decide(dgsi, due["a"].id, keep_until=TODAY, today=TODAY)
    assert late.value.field == "keep_until"
    with pytest.raises(BadInput) as neither:
        retention.decide(dgsi, due["a"].id, today=TODAY)
    assert neither.value.field == "decision"
    keep = TODAY + timedelta(days=365)
    retention.decide(dgsi, due["a"].id, keep_until=keep, today=TODAY)
    with pytest.raises(Conflict):
        retention.decide(dgsi, due["a"].id, purge=True, today=TODAY)
    retention.decide(staff, due["b"].id, purge=True, today=TODAY)
    assert _naming(db, ids["b"]) == {}
    with db.read() as c:
        kept_until = c.execute(sa.select(t.records.c.retain_until)
                               .where(t.records.c.id == ids["a"])).scalar_one()
    assert str(kept_until)[:10] == keep.isoformat()
    assert retention.run(_admin(db), RULES, today=TODAY).purged == 0  # kept
    later = retention.run(_admin(db), RULES, today=keep + timedelta(days=1))
    assert later.reviews_created == 1  # past the new date: reviewed again
    decided = _audit(db, "retention:review:decide")
    assert [r["outcome"] for r in decided] == ["failed", "ok", "failed", "ok"]
    assert [json.loads(r["objects"])[0] for r in _audit(db, "retention:record:purge")] == [
        f"record:{ids['b']}"]


def test_old_audit_rows_are_purged_and_the_chain_verifies(db: Database, settings: Settings,
                                                          tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    _load(db, settings, tmp_path, "OFAST", ("new", "Jean DUPONT", FUTURE))
    with db.read() as c:
        rows = c.execute(sa.select(sa.func.count()).select_from(t.audit_events)).scalar_one()
    assert rows >= 3
    future = datetime.now(UTC).date() + timedelta(days=4 * 366)
    summary = retention.run(_admin(db), RULES, today=future)  # every row is old by then
    assert summary.audit_rows_purged >= rows
    with db.read() as c:
        assert audit.verify(c).ok, audit.verify(c).problem
        purge = c.execute(sa.select(t.audit_purges)).mappings().one()
        first = c.execute(sa.select(sa.func.min(t.audit_events.c.seq))).scalar_one()
    assert first == purge["through_seq"] + 1
    assert purge["username"] == "adm"
    [line] = _audit(db, "audit:log:purge")
    assert json.loads(line["detail"])["through_hash"] == purge["through_hash"]
    _configure(monkeypatch, db.url, tmp_path / "var")
    intact = emco(db, tmp_path, "audit", "verify")  # the real command, from the anchor
    assert intact.returncode == 0, intact.stderr
    with db.engine.begin() as c:  # an anchor moved by hand is caught
        c.execute(sa.update(t.audit_purges).values(through_hash="f" * 64))
    broken = invoke("audit", "verify", "--json")
    assert broken.exit_code == 1
    assert json.loads(broken.stdout)["first_bad_row"] == purge["through_seq"] + 1


def test_cli_run_reviews_and_decide(db: Database, settings: Settings, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _load(db, settings, tmp_path, "OFAST", ("old", "Karim BENALI", PAST))
    _load(db, settings, tmp_path, "DGSI", ("spy", "Jean DUPONT", PAST))
    _configure(monkeypatch, db.url, tmp_path / "var")
    dry = invoke("retention", "run", "--today", TODAY.isoformat(), "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["purged"] == 1
    done = invoke("retention", "run", "--today", TODAY.isoformat())
    assert done.exit_code == 0, done.output
    assert "1 records were purged, 1 put up for review" in done.stdout
    listed = invoke("retention", "reviews", "--agency", "dgsi", "--json")
    [review] = json.loads(listed.stdout)
    assert review["source_id"] == "spy"
    bad = invoke("retention", "decide", str(review["id"]), "--keep-until", "tomorrow")
    assert bad.exit_code == 2
    assert "keep-until" in bad.stderr
    kept = invoke("retention", "decide", str(review["id"]), "--keep-until", "2099-01-01",
                  "--agency", "DGSI")
    assert kept.exit_code == 0, kept.output
    assert "kept until 2099-01-01" in kept.stdout
    wrong_date = invoke("retention", "run", "--today", "31/12/2026")
    assert wrong_date.exit_code == 2
    assert "--today" in wrong_date.stderr
