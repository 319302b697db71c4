"""Dangerousness signals, assessments, declared levels and decisions, as stored.

Only `emco.risk` calls this. Signals are derived data (replaced whole by each run);
assessments, declarations and decisions are append-only rows.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, and_, delete, func, select, update

from emco.store.db import Database
from emco.store.networks import incident_parties, latest_run
from emco.store.tables import (
    assessments,
    declarations,
    network_members,
    record_entities,
    records,
    risk_decisions,
    risk_runs,
    risk_signals,
    statements,
)

_PART = 5000
SIGNAL_COLUMNS = ("record_id", "entity_id", "type", "agency_code", "observed_on",
                  "reliability", "credibility", "source_record_id", "origin", "detail")
ASSESSMENT_COLUMNS = ("run_id", "entity_id", "score", "level", "criteria", "parts",
                      "catalogue_version", "at")


def incidents(conn: Connection) -> pd.DataFrame:
    """Every incident keyword about a person record (`incident_parties`), with the date
    the event states (`date_text`, None when it states none)."""
    parties = incident_parties().subquery()
    when = statements.alias("when")
    query = (select(parties, when.c.value.label("date_text"))
             .outerjoin(when, and_(when.c.record_id == parties.c.event_id,
                                   when.c.prop == "date",
                                   when.c.retired_batch_id.is_(None))))
    rows = conn.execute(query).all()
    return pd.DataFrame(rows, columns=["event_id", "agency_code", "reliability", "credibility",
                                       "observed_on", "party_id", "keyword", "date_text"])


def network_roles(conn: Connection) -> tuple[pd.DataFrame, datetime | None]:
    """The members of the latest network run (entity, network, role, head rank) and when
    that run finished; an empty frame when no run exists."""
    run = latest_run(conn)
    columns = ["entity_id", "network_id", "role", "head_rank"]
    if run is None:
        return pd.DataFrame([], columns=columns), None
    query = select(network_members.c.entity_id, network_members.c.network_id,
                   network_members.c.role, network_members.c.head_rank).where(
        network_members.c.run_id == run.id)
    return pd.DataFrame(conn.execute(query).all(), columns=columns), run.finished_at


def replace_signals(db: Database, conn: Connection, frame: pd.DataFrame) -> int:
    """Put these signals (columns `SIGNAL_COLUMNS`) in place of the previous run's."""
    conn.execute(delete(risk_signals))
    rows = [(_int(r.record_id), r.entity_id if isinstance(r.entity_id, str) else None,
             r.type, r.agency_code, _day(r.observed_on), r.reliability, r.credibility,
             _int(r.source_record_id), r.origin, r.detail)
            for r in frame[list(SIGNAL_COLUMNS)].itertuples(index=False)]
    for first in range(0, len(rows), _PART):
        db.bulk_insert(conn, risk_signals, SIGNAL_COLUMNS, rows[first:first + _PART])
    return len(rows)


def _int(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _day(value: Any) -> date | None:
    if value is None or pd.isna(value):
        return None
    day: date = pd.Timestamp(value).date()
    return day


def signals(conn: Connection, entity_ids: list[str] | None = None) -> pd.DataFrame:
    """The stored signals with the entity each is about: its own (network roles) or its
    record's; `entity_id` is None for a record not resolved yet. Restricted to some
    entities when `entity_ids` is given."""
    entity = func.coalesce(risk_signals.c.entity_id, record_entities.c.entity_id)
    query = (select(risk_signals.c.id, entity.label("entity_id"), risk_signals.c.record_id,
                    risk_signals.c.type, risk_signals.c.agency_code,
                    risk_signals.c.observed_on, risk_signals.c.reliability,
                    risk_signals.c.credibility, risk_signals.c.source_record_id,
                    risk_signals.c.origin, risk_signals.c.detail)
             .outerjoin(record_entities,
                        record_entities.c.record_id == risk_signals.c.record_id))
    columns = ["id", "entity_id", "record_id", "type", "agency_code", "observed_on",
               "reliability", "credibility", "source_record_id", "origin", "detail"]
    if entity_ids is None:
        return pd.DataFrame(conn.execute(query).all(), columns=columns)
    parts = [pd.DataFrame(conn.execute(query.where(entity.in_(entity_ids[i:i + _PART])))
                          .all(), columns=columns)
             for i in range(0, len(entity_ids), _PART)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame([], columns=columns)


def person_entities(conn: Connection) -> int:
    """How many resolved entities hold a Person record (the people to assess)."""
    query = (select(func.count(func.distinct(record_entities.c.entity_id)))
             .join(records, records.c.id == record_entities.c.record_id)
             .where(records.c.schema == "Person"))
    return int(conn.execute(query).scalar_one())


def start_run(conn: Connection, username: str, at: datetime, version: str) -> int:
    key = conn.execute(risk_runs.insert().values(
        at=at, username=username, catalogue_version=version, persons=0,
        detail="{}")).inserted_primary_key
    assert key is not None
    return int(key[0])


def finish_run(conn: Connection, run_id: int, persons: int, detail: dict[str, Any]) -> None:
    conn.execute(update(risk_runs).where(risk_runs.c.id == run_id).values(
        persons=persons, detail=json.dumps(detail, ensure_ascii=False, default=str)))


def latest_risk_run(conn: Connection) -> dict[str, Any] | None:
    """The latest assessment run: id, at, username, catalogue_version, persons, detail."""
    row = conn.execute(select(risk_runs).order_by(risk_runs.c.id.desc()).limit(1)
                       ).mappings().first()
    return {**row, "detail": json.loads(row["detail"])} if row else None


def write_assessments(db: Database, conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    """Append assessment rows (`ASSESSMENT_COLUMNS`), by bulk insert."""
    for first in range(0, len(rows), _PART):
        db.bulk_insert(conn, assessments, ASSESSMENT_COLUMNS, rows[first:first + _PART])


@dataclass(frozen=True)
class AssessmentRow:
    id: int
    run_id: int
    entity_id: str
    score: float
    level: str
    criteria: list[str]
    parts: list[dict[str, Any]]
    catalogue_version: str
    at: datetime


def history(conn: Connection, entity_id: str, limit: int = 20) -> list[AssessmentRow]:
    """A person's assessments, the newest first."""
    query = (select(assessments).where(assessments.c.entity_id == entity_id)
             .order_by(assessments.c.id.desc()).limit(limit))
    return [_assessment(r) for r in conn.execute(query).mappings()]


def _assessment(r: Any) -> AssessmentRow:
    return AssessmentRow(r["id"], r["run_id"], r["entity_id"], r["score"], r["level"],
                         json.loads(r["criteria"]), json.loads(r["parts"]),
                         r["catalogue_version"], r["at"])


# --- declarations and decisions ---------------------------------------------------------

@dataclass(frozen=True)
class DeclarationRow:
    id: int
    agency: str
    record_id: int | None
    entity_id: str | None  # as declared, or the entity of the record
    escort: int | None
    dps: bool | None
    watch: bool | None
    note: str | None
    author: str
    at: datetime


def add_declaration(conn: Connection, *, agency: str, record_id: int | None,
                    entity_id: str | None, escort: int | None, dps: bool | None,
                    watch: bool | None, note: str | None, author: str, at: datetime) -> int:
    key = conn.execute(declarations.insert().values(
        agency_code=agency, record_id=record_id, entity_id=entity_id, escort=escort, dps=dps,
        watch=watch, note=note, author=author, at=at)).inserted_primary_key
    assert key is not None
    return int(key[0])


def current_declarations(conn: Connection, entity_id: str | None = None
                         ) -> list[DeclarationRow]:
    """The standing declaration of each service about each person: its latest row about
    a record (the record's entity) or an entity, the newest per (service, entity) kept.
    Declarations about records not resolved yet have no entity and are left out."""
    entity = func.coalesce(declarations.c.entity_id, record_entities.c.entity_id)
    query = (select(declarations, entity.label("person"))
             .outerjoin(record_entities,
                        record_entities.c.record_id == declarations.c.record_id)
             .where(entity.is_not(None)).order_by(declarations.c.id))
    if entity_id is not None:
        query = query.where(entity == entity_id)
    latest: dict[tuple[str, str], DeclarationRow] = {}
    for r in conn.execute(query).mappings():
        latest[(r["agency_code"], r["person"])] = DeclarationRow(
            r["id"], r["agency_code"], r["record_id"], r["person"], r["escort"], r["dps"],
            r["watch"], r["note"], r["author"], r["at"])
    return list(latest.values())


def record_of(conn: Connection, agency: str, source_id: str) -> int | None:
    """The id of a service's record given by its source id."""
    found = conn.execute(select(records.c.id).where(
        records.c.agency_code == agency, records.c.source_id == source_id)).scalar()
    return int(found) if found is not None else None


def entity_of(conn: Connection, record_id: int) -> str | None:
    found = conn.execute(select(record_entities.c.entity_id).where(
        record_entities.c.record_id == record_id)).scalar()
    return str(found) if found is not None else None


def entity_exists(conn: Connection, entity_id: str) -> bool:
    return conn.execute(select(record_entities.c.record_id).where(
        record_entities.c.entity_id == entity_id).limit(1)).first() is not None


@dataclass(frozen=True)
class DecisionRow:
    id: int
    entity_id: str
    agency: str
    decision: str
    motif: str
    alert_id: int | None
    author: str
    at: datetime


def add_decision(conn: Connection, *, entity_id: str, agency: str, decision: str,
                 motif: str, alert_id: int | None, author: str, at: datetime) -> int:
    key = conn.execute(risk_decisions.insert().values(
        entity_id=entity_id, agency_code=agency, decision=decision, motif=motif,
        alert_id=alert_id, author=author, at=at)).inserted_primary_key
    assert key is not None
    return int(key[0])


def decisions(conn: Connection, entity_id: str) -> list[DecisionRow]:
    """The decisions about a person, the newest first."""
    query = (select(risk_decisions).where(risk_decisions.c.entity_id == entity_id)
             .order_by(risk_decisions.c.id.desc()))
    return [DecisionRow(r["id"], r["entity_id"], r["agency_code"], r["decision"], r["motif"],
                        r["alert_id"], r["author"], r["at"])
            for r in conn.execute(query).mappings()]


def latest_assessments(conn: Connection, entity_ids: Sequence[str]
                       ) -> dict[str, AssessmentRow]:
    """The newest assessment of each of these people that has one."""
    wanted = sorted(set(entity_ids))
    if not wanted:
        return {}
    newest = (select(assessments.c.entity_id, func.max(assessments.c.id).label("id"))
              .where(assessments.c.entity_id.in_(wanted))
              .group_by(assessments.c.entity_id).subquery())
    query = select(assessments).join(newest, newest.c.id == assessments.c.id)
    return {r["entity_id"]: _assessment(r) for r in conn.execute(query).mappings()}
