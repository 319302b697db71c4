"""Networks as stored: runs, networks kept across runs, members per run, projected edges.

Only `emco.network` calls this. Edges are filtered by the reader's scope here, exactly as
records are (`emco.store.records.scope_filter`): the service and protection mention of the
record behind each edge row.
"""

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    delete,
    func,
    or_,
    select,
    update,
)

from emco.model.types import RecordScope
from emco.store.db import Database
from emco.store.records import scope_filter
from emco.store.tables import (
    batches,
    call_batches,
    network_edges,
    network_members,
    network_runs,
    networks,
    record_entities,
    record_keys,
    records,
    statements,
)

NODE_SCHEMATA = ("Person", "Company", "Organization", "LegalEntity")  # what a graph joins

_PART = 5000
EDGE_COLUMNS = ("source", "target", "kind", "agency_code", "protection", "weight", "count",
                "first_on", "last_on", "evidence")


@dataclass(frozen=True)
class RunRow:
    id: int
    started_at: datetime
    finished_at: datetime
    username: str
    nodes: int
    edges: int
    modularity: float
    detail: dict[str, Any]


@dataclass(frozen=True)
class NetworkRow:
    id: str
    name: str
    first_run_id: int
    last_run_id: int
    size: int
    threat_score: float | None
    threat_level: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class MemberRow:
    run_id: int
    entity_id: str
    network_id: str
    head_score: float
    head_rank: int
    role: str
    role_confidence: float
    parts: dict[str, Any]


@dataclass(frozen=True)
class EdgeRow:
    source: str
    target: str
    kind: str
    agency_code: str
    protection: str
    weight: float
    count: int
    first_on: date | None
    last_on: date | None
    evidence: list[str]


def start_run(conn: Connection, username: str, started: datetime) -> int:
    """A new run, filled in by `finish_run` in the same transaction."""
    result = conn.execute(network_runs.insert().values(
        started_at=started, finished_at=started, username=username, nodes=0, edges=0,
        modularity=0.0, detail="{}"))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def finish_run(conn: Connection, run_id: int, *, finished: datetime, nodes: int, edges: int,
               modularity: float, detail: dict[str, Any]) -> None:
    conn.execute(update(network_runs).where(network_runs.c.id == run_id).values(
        finished_at=finished, nodes=nodes, edges=edges, modularity=modularity,
        detail=json.dumps(detail, ensure_ascii=False, default=str)))


def latest_run(conn: Connection) -> RunRow | None:
    row = conn.execute(select(network_runs).order_by(network_runs.c.id.desc()).limit(1)
                       ).mappings().first()
    return _run(row) if row else None


def runs(conn: Connection, limit: int = 50) -> list[RunRow]:
    query = select(network_runs).order_by(network_runs.c.id.desc()).limit(limit)
    return [_run(r) for r in conn.execute(query).mappings()]


def _run(row: Any) -> RunRow:
    return RunRow(row["id"], row["started_at"], row["finished_at"], row["username"],
                  row["nodes"], row["edges"], row["modularity"], json.loads(row["detail"]))


def replace_edges(db: Database, conn: Connection, edges: pd.DataFrame) -> int:
    """Put the projected edges (one row per pair, kind, service, protection) in place of
    the previous run's."""
    conn.execute(delete(network_edges))
    rows = [(r.source, r.target, r.kind, r.agency_code, r.protection, float(r.weight),
             int(r.count), _date(r.first_on), _date(r.last_on), json.dumps(r.evidence))
            for r in edges.itertuples(index=False)]
    for first in range(0, len(rows), _PART):
        db.bulk_insert(conn, network_edges, EDGE_COLUMNS, rows[first:first + _PART])
    return len(rows)


def _date(value: Any) -> date | None:
    if value is None or pd.isna(value):
        return None
    day: date = pd.Timestamp(value).date()
    return day


def last_members(conn: Connection) -> dict[str, set[str]]:
    """The members of each network found by the latest run, by network id."""
    run = latest_run(conn)
    if run is None:
        return {}
    out: dict[str, set[str]] = {}
    query = select(network_members.c.network_id, network_members.c.entity_id).where(
        network_members.c.run_id == run.id)
    for network_id, entity in conn.execute(query):
        out.setdefault(network_id, set()).add(entity)
    return out


def next_network_number(conn: Connection) -> int:
    count = conn.execute(select(func.count()).select_from(networks)).scalar_one()
    return int(count) + 1


def save_network(conn: Connection, row: NetworkRow) -> None:
    """Create a network or update the one with the same id (found again by this run)."""
    values = {"name": row.name, "last_run_id": row.last_run_id, "size": row.size,
              "threat_score": row.threat_score, "threat_level": row.threat_level,
              "detail": json.dumps(row.detail, ensure_ascii=False, default=str)}
    done = conn.execute(update(networks).where(networks.c.id == row.id).values(**values))
    if done.rowcount == 0:
        conn.execute(networks.insert().values(id=row.id, first_run_id=row.first_run_id,
                                              **values))


def write_members(db: Database, conn: Connection, members: Sequence[MemberRow]) -> None:
    columns = ("run_id", "entity_id", "network_id", "head_score", "head_rank", "role",
               "role_confidence", "parts")
    rows = [(m.run_id, m.entity_id, m.network_id, m.head_score, m.head_rank, m.role,
             m.role_confidence, json.dumps(m.parts, ensure_ascii=False)) for m in members]
    for first in range(0, len(rows), _PART):
        db.bulk_insert(conn, network_members, columns, rows[first:first + _PART])


def current_networks(conn: Connection) -> list[NetworkRow]:
    """The networks the latest run found, most threatening first (unassessed last)."""
    run = latest_run(conn)
    if run is None:
        return []
    query = (select(networks).where(networks.c.last_run_id == run.id)
             .order_by(networks.c.threat_score.desc().nulls_last(), networks.c.size.desc(),
                       networks.c.id))
    return [_network(r) for r in conn.execute(query).mappings()]


def get_network(conn: Connection, network_id: str) -> NetworkRow | None:
    row = conn.execute(select(networks).where(networks.c.id == network_id)).mappings().first()
    return _network(row) if row else None


def _network(row: Any) -> NetworkRow:
    return NetworkRow(row["id"], row["name"], row["first_run_id"], row["last_run_id"],
                      row["size"], row["threat_score"], row["threat_level"],
                      json.loads(row["detail"]))


def members(conn: Connection, network_id: str, run_id: int) -> list[MemberRow]:
    """A network's members in one run, likeliest head first."""
    query = (select(network_members)
             .where(network_members.c.network_id == network_id,
                    network_members.c.run_id == run_id)
             .order_by(network_members.c.head_rank, network_members.c.entity_id))
    return [_member(r) for r in conn.execute(query).mappings()]


def memberships(conn: Connection, entity_ids: Iterable[str]) -> list[MemberRow]:
    """Every run's membership of these entities, newest run first."""
    wanted = sorted(set(entity_ids))
    out: list[MemberRow] = []
    for first in range(0, len(wanted), _PART):
        query = (select(network_members)
                 .where(network_members.c.entity_id.in_(wanted[first:first + _PART])))
        out.extend(_member(r) for r in conn.execute(query).mappings())
    return sorted(out, key=lambda m: (-m.run_id, m.network_id, m.head_rank))


def history(conn: Connection, network_id: str) -> list[tuple[int, datetime, int]]:
    """(run id, run time, members) for every run that found the network."""
    query = (select(network_runs.c.id, network_runs.c.finished_at, func.count())
             .join(network_members, network_members.c.run_id == network_runs.c.id)
             .where(network_members.c.network_id == network_id)
             .group_by(network_runs.c.id, network_runs.c.finished_at)
             .order_by(network_runs.c.id))
    return [(int(r), at, int(n)) for r, at, n in conn.execute(query)]


def _member(row: Any) -> MemberRow:
    return MemberRow(row["run_id"], row["entity_id"], row["network_id"], row["head_score"],
                     row["head_rank"], row["role"], row["role_confidence"],
                     json.loads(row["parts"]))


def edge_scope(scope: RecordScope) -> ColumnElement[bool]:
    """The edge rows a scope sees: those stated by records it sees."""
    return scope_filter(scope, network_edges)


def edges_touching(conn: Connection, scope: RecordScope, entity_ids: Iterable[str],
                   *, both_ends: bool = False) -> list[EdgeRow]:
    """The edge rows in scope with one end (or both ends) among `entity_ids`."""
    wanted = sorted(set(entity_ids))
    found: dict[int, EdgeRow] = {}
    for first in range(0, len(wanted), _PART):
        part = wanted[first:first + _PART]
        ends = (and_(network_edges.c.source.in_(part), network_edges.c.target.in_(wanted))
                if both_ends else
                or_(network_edges.c.source.in_(part), network_edges.c.target.in_(part)))
        query = select(network_edges).where(ends, edge_scope(scope))
        for row in conn.execute(query).mappings():
            found[row["id"]] = _as_seen(_edge(row), scope)
    return list(found.values())


def all_edges(conn: Connection, scope: RecordScope) -> list[EdgeRow]:
    query = select(network_edges).where(edge_scope(scope)).order_by(network_edges.c.id)
    return [_as_seen(_edge(r), scope) for r in conn.execute(query).mappings()]


def evidence_in_sight(conn: Connection, scope: RecordScope, refs: Iterable[str]) -> set[str]:
    """Which references to what a tie rests on (`record:ID`, `calls:BATCH`, as the
    projected graph's rows carry them one each) the scope sees, by the one rule
    (`scope_filter`): a record of its services and protections or passed to it, a batch of
    call detail records of its services and protections (as its edges are)."""
    wanted = set(refs)
    ids = sorted({int(r[7:]) for r in wanted if r.startswith("record:") and r[7:].isdigit()})
    sent = sorted({r[6:] for r in wanted if r.startswith("calls:")})
    batch = (select(call_batches.c.batch_id.label("id"), batches.c.agency_code,
                    call_batches.c.protection)
             .join(batches, batches.c.id == call_batches.c.batch_id).subquery())
    seen: set[str] = set()
    for first in range(0, len(ids), _PART):
        query = select(records.c.id).where(records.c.id.in_(ids[first:first + _PART]),
                                           scope_filter(scope))
        seen.update(f"record:{i}" for (i,) in conn.execute(query))
    for first in range(0, len(sent), _PART):
        query = select(batch.c.id).where(batch.c.id.in_(sent[first:first + _PART]),
                                         scope_filter(scope, batch))
        seen.update(f"calls:{b}" for (b,) in conn.execute(query))
    return seen


def _as_seen(edge: EdgeRow, scope: RecordScope) -> EdgeRow:
    """An edge of another service seen only through records passed to the reader shows
    those records alone: its weight and count shrink to their share, its other evidence
    is left out (the other statements behind it were not passed)."""
    if scope.agencies is None or edge.agency_code in scope.agencies:
        return edge
    kept = [e for e in edge.evidence if e.startswith("record:")
            and e[7:].isdigit() and int(e[7:]) in scope.granted]
    share = len(kept) / max(edge.count, 1)
    return replace(edge, weight=round(edge.weight * share, 3), count=len(kept),
                   evidence=kept)


def _edge(row: Any) -> EdgeRow:
    return EdgeRow(row["source"], row["target"], row["kind"], row["agency_code"],
                   row["protection"], row["weight"], row["count"], row["first_on"],
                   row["last_on"], json.loads(row["evidence"]))


def captions(conn: Connection, scope: RecordScope, entity_ids: Iterable[str]
             ) -> dict[str, str]:
    """The name each entity goes by in the records the scope sees (its most frequent
    caption); entities with no such record are left out."""
    wanted = sorted(set(entity_ids))
    seen: dict[str, Counter[str]] = {}
    for first in range(0, len(wanted), _PART):
        query = (select(record_entities.c.entity_id, records.c.caption)
                 .join(records, records.c.id == record_entities.c.record_id)
                 .where(record_entities.c.entity_id.in_(wanted[first:first + _PART]),
                        records.c.schema.in_(NODE_SCHEMATA), scope_filter(scope)))
        for entity, caption in conn.execute(query):
            seen.setdefault(entity, Counter())[caption] += 1
    return {e: c.most_common(1)[0][0] for e, c in seen.items()}


def incident_parties() -> Select[Any]:
    """Every incident (an Event record) with a keyword, and each person record it names
    as involved or organiser (within the incident's service, as the service wrote the
    reference): event_id, agency_code, reliability, credibility, observed_on (the
    event's), party_id (the person record), keyword. Shared by the network threat and
    the dangerousness signals (emco.risk)."""
    event = records.alias("event")
    keyword = statements.alias("keyword")
    party_ref = statements.alias("party_ref")
    party = records.alias("party")
    return (
        select(event.c.id.label("event_id"), event.c.agency_code, event.c.reliability,
               event.c.credibility, event.c.observed_on, party.c.id.label("party_id"),
               keyword.c.value.label("keyword"))
        .select_from(event)
        .join(keyword, and_(keyword.c.record_id == event.c.id, keyword.c.prop == "keywords",
                            keyword.c.retired_batch_id.is_(None)))
        .join(party_ref, and_(party_ref.c.record_id == event.c.id,
                              party_ref.c.prop.in_(("involved", "organizer")),
                              party_ref.c.prop_type == "entity",
                              party_ref.c.retired_batch_id.is_(None)))
        .join(party, and_(party.c.agency_code == event.c.agency_code,
                          party.c.source_id == party_ref.c.value))
        .where(event.c.schema == "Event"))


@dataclass
class MemberFacts:
    """What the records say of some entities, for the network threat (all services)."""

    incidents: dict[str, Counter[str]]  # entity -> incident keyword -> count
    countries: dict[str, list[str]]  # entity -> nationalities and countries stated
    phones: dict[str, list[str]]  # entity -> E.164 numbers
    accounts: dict[str, list[str]]  # entity -> IBANs
    amounts: dict[int, float]  # payment record id -> amount stated


def member_facts(conn: Connection, entity_ids: Iterable[str], payment_ids: Iterable[int]
                 ) -> MemberFacts:
    wanted = set(entity_ids)
    facts = MemberFacts({}, {}, {}, {}, {})
    parties = incident_parties().subquery()
    incidents = (select(record_entities.c.entity_id, parties.c.keyword)
                 .join(parties, parties.c.party_id == record_entities.c.record_id))
    for entity, word in conn.execute(incidents):
        if entity in wanted:
            facts.incidents.setdefault(entity, Counter())[word] += 1
    ordered = sorted(wanted)
    for first in range(0, len(ordered), _PART):
        part = ordered[first:first + _PART]
        stated = (select(record_entities.c.entity_id, statements.c.value)
                  .join(statements, statements.c.record_id == record_entities.c.record_id)
                  .where(record_entities.c.entity_id.in_(part),
                         statements.c.prop.in_(("nationality", "country", "citizenship")),
                         statements.c.retired_batch_id.is_(None)))
        for entity, value in conn.execute(stated):
            facts.countries.setdefault(entity, []).append(value)
        keyed = (select(record_entities.c.entity_id, record_keys.c.kind, record_keys.c.key)
                 .join(record_keys, record_keys.c.record_id == record_entities.c.record_id)
                 .where(record_entities.c.entity_id.in_(part),
                        record_keys.c.kind.in_(("phone", "iban"))))
        for entity, kind, key in conn.execute(keyed):
            target = facts.phones if kind == "phone" else facts.accounts
            target.setdefault(entity, []).append(key)
    payments = sorted(set(payment_ids))
    for first in range(0, len(payments), _PART):
        amounts = select(statements.c.record_id, statements.c.value).where(
            statements.c.record_id.in_(payments[first:first + _PART]),
            statements.c.prop == "amount", statements.c.retired_batch_id.is_(None))
        for rid, value in conn.execute(amounts):
            with suppress(ValueError):
                facts.amounts[int(rid)] = facts.amounts.get(int(rid), 0.0) + float(value)
    return facts


def network_mates(conn: Connection, entity_ids: Iterable[str]) -> set[str]:
    """The members of the networks these entities belong to in the latest run, these
    included (not scoped: for checks that disclose none of it)."""
    wanted = sorted(set(entity_ids))
    if not wanted:
        return set()
    run_id = conn.execute(select(func.max(network_runs.c.id))).scalar()
    if run_id is None:
        return set()
    found: set[str] = set()
    for first in range(0, len(wanted), _PART):
        theirs = (select(network_members.c.network_id)
                  .where(network_members.c.run_id == run_id,
                         network_members.c.entity_id.in_(wanted[first:first + _PART])))
        query = select(network_members.c.entity_id).where(
            network_members.c.run_id == run_id, network_members.c.network_id.in_(theirs))
        found.update(conn.execute(query).scalars())
    return found
