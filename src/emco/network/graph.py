"""The joint graph: every service's links between resolved people and companies, projected
from the shared records into one table of typed, weighted, dated edges.

Three sources, all read in bulk (a few queries, then pandas; never a query per entity):
- **explicit links**: records of an FtM interval schema (Associate, Family, Call,
  Payment…, see `emco.store.links.LINK_PROPERTIES`) naming records of the same service
  as their parties;
- **shared things**: two people tied to the same resolved vehicle, account or phone
  entity through such links (an Ownership of the same car), or whose records carry the
  same phone number, IBAN or plate, or the same address;
- **call detail records**: the contact edges `emco ingest-calls` aggregated, tied to
  people by the phone numbers their records carry.

Every edge row keeps the service and the protection mention of the record behind it, so
that a reader's scope filters edges exactly as it filters records, and the record ids
behind it, so that an analyst can open the statements.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import combinations, groupby
from typing import Any

import pandas as pd
from sqlalchemy import Connection, and_, select

from emco.store import calls as calls_repo
from emco.store.links import LINK_PROPERTIES
from emco.store.networks import NODE_SCHEMATA  # people and the organisations they run
from emco.store.tables import record_entities, record_keys, records, statements

# Things that tie two people who share them; named for the edge kind they make.
SHARED_SCHEMATA = {"Vehicle": "shared_vehicle", "BankAccount": "shared_account",
                   "Phone": "shared_phone", "Address": "shared_address",
                   "RealEstate": "shared_address"}
SHARED_KEYS = {"phone": "shared_phone", "iban": "shared_account", "plate": "shared_vehicle"}
# A number, account or address shared by more people than this is a switchboard, a bank's
# suspense account or a block of flats: it ties nobody to anybody.
MAX_SHARERS = 8
# Each link kind, its weight per statement, and whether it has a direction (from the
# first party to the second: the caller, the payer, the member, the owner).
KINDS: dict[str, tuple[str, float, bool]] = {
    "Call": ("call", 1.0, True),
    "Payment": ("payment", 2.0, True),
    "Associate": ("associate", 2.0, False),
    "Family": ("family", 1.5, False),
    "Membership": ("membership", 2.0, True),
    "Directorship": ("directorship", 2.0, True),
    "Ownership": ("ownership", 2.0, True),
    "Employment": ("employment", 1.5, True),
    "Representation": ("representation", 1.5, True),
    "Event": ("meeting", 1.5, False),
    "CoOffending": ("co_offending", 2.0, False),  # an Event reporting an offence together
    "UnknownLink": ("associate", 1.0, False),
}
SHARED_WEIGHT = {"shared_phone": 1.5, "shared_account": 2.0, "shared_vehicle": 1.0,
                 "shared_address": 0.5}
CALL_WEIGHT = 1.0  # per aggregated month of calls between two numbers
DATE_PROPS = ("date", "startDate", "endDate")
CO_OFFENDING = "co_offending"  # the Event keyword of an offence committed together
EVIDENCE_KEPT = 20  # record ids kept per edge row
_PART = 5000

EDGE_COLUMNS = ["source", "target", "kind", "directed", "agency_code", "protection",
                "weight", "on", "evidence"]


@dataclass(frozen=True)
class Projection:
    """The joint graph as rows: one per statement of a tie (`edges`), and the kind of each
    node (`nodes`: entity id -> schema)."""

    edges: pd.DataFrame  # EDGE_COLUMNS
    nodes: dict[str, str]

    def aggregated(self) -> pd.DataFrame:
        """One row per pair, kind, service and protection: weight and count summed,
        first and last date, the first record ids behind it."""
        if self.edges.empty:
            return pd.DataFrame(columns=["source", "target", "kind", "agency_code",
                                         "protection", "weight", "count", "first_on",
                                         "last_on", "evidence"])
        grouped = self.edges.groupby(["source", "target", "kind", "agency_code",
                                      "protection"], sort=True, dropna=False)
        out = grouped.agg(weight=("weight", "sum"), count=("weight", "size"),
                          first_on=("on", "min"), last_on=("on", "max"),
                          evidence=("evidence", _first_evidence)).reset_index()
        return out


def _first_evidence(values: pd.Series) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value not in seen:
            seen.append(value)
            if len(seen) == EVIDENCE_KEPT:
                break
    return seen


def project(conn: Connection) -> Projection:
    """The whole joint graph, every service's records included: the network stage maps it
    once for the staff; readers see it through their scope (`emco.store.networks`)."""
    nodes = _nodes(conn)
    owned: dict[str, list[tuple[str, str, str, date | None, str]]] = defaultdict(list)
    rows: list[tuple[Any, ...]] = []
    for link in _link_parties(conn):
        rows.extend(_ties(link, nodes, owned))
    rows.extend(_shared_things(owned))
    rows.extend(_shared_keys(conn, nodes))
    rows.extend(_shared_addresses(conn, nodes))
    rows.extend(_calls(conn, nodes))
    edges = pd.DataFrame(rows, columns=EDGE_COLUMNS)
    if not edges.empty:
        edges["on"] = pd.to_datetime(edges["on"], errors="coerce")
    return Projection(edges, nodes)


def _nodes(conn: Connection) -> dict[str, str]:
    """Every resolved person or organisation, with the schema of its records."""
    query = (select(record_entities.c.entity_id, records.c.schema)
             .join(records, records.c.id == record_entities.c.record_id)
             .where(records.c.schema.in_(NODE_SCHEMATA)))
    nodes: dict[str, str] = {}
    for entity, schema in conn.execute(query):
        # an entity whose records disagree (a Person and a LegalEntity) is a Person
        if nodes.get(entity) != "Person":
            nodes[entity] = schema
    return nodes


@dataclass
class _Link:
    record_id: int
    schema: str
    agency: str
    protection: str
    on: date | None
    parties: dict[str, list[tuple[str, str]]]  # property -> [(entity, party schema)]


def _link_parties(conn: Connection) -> Iterator[_Link]:
    """Each link record in the store with the entities it names, by property."""
    party = records.alias("party")
    query = (
        select(records.c.id, records.c.schema, records.c.agency_code, records.c.protection,
               statements.c.prop, record_entities.c.entity_id, party.c.schema)
        .select_from(records)
        .join(statements, and_(statements.c.record_id == records.c.id,
                               statements.c.prop_type == "entity",
                               statements.c.retired_batch_id.is_(None)))
        .join(party, and_(party.c.agency_code == records.c.agency_code,
                          party.c.source_id == statements.c.value))
        .join(record_entities, record_entities.c.record_id == party.c.id)
        .where(records.c.schema.in_(sorted(LINK_PROPERTIES)))
        .order_by(records.c.id))
    dates = _dates(conn)
    joint = _joint_offences(conn)
    current: _Link | None = None
    for rid, schema, agency, protection, prop, entity, party_schema in conn.execute(query):
        if prop not in LINK_PROPERTIES[schema]:
            continue
        if current is None or current.record_id != rid:
            if current is not None:
                yield current
            current = _Link(rid, "CoOffending" if rid in joint else schema, agency,
                            protection, dates.get(rid), {})
        current.parties.setdefault(prop, []).append((entity, party_schema))
    if current is not None:
        yield current


def _joint_offences(conn: Connection) -> set[int]:
    """The Event records that report an offence committed together (keyword
    `co_offending`): their parties are co-offenders, not people who met."""
    query = (select(statements.c.record_id)
             .join(records, records.c.id == statements.c.record_id)
             .where(records.c.schema == "Event", statements.c.prop == "keywords",
                    statements.c.value == CO_OFFENDING,
                    statements.c.retired_batch_id.is_(None)))
    return set(conn.execute(query).scalars())


def _dates(conn: Connection) -> dict[int, date]:
    """The earliest date each link record states."""
    query = (select(statements.c.record_id, statements.c.value)
             .join(records, records.c.id == statements.c.record_id)
             .where(records.c.schema.in_(sorted(LINK_PROPERTIES)),
                    statements.c.prop.in_(DATE_PROPS),
                    statements.c.retired_batch_id.is_(None)))
    out: dict[int, date] = {}
    for rid, value in conn.execute(query):
        day = _day(value)
        if day is not None and (rid not in out or day < out[rid]):
            out[rid] = day
    return out


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:  # a partial date (a year, a month): no day to place it on
        return None


def _ties(link: _Link, nodes: dict[str, str],
          owned: dict[str, list[tuple[str, str, str, date | None, str]]]
          ) -> Iterator[tuple[Any, ...]]:
    """The edges one link record states: between its first and second parties, or
    between every two of its parties when it has no sides (a meeting)."""
    kind, weight, directed = KINDS[link.schema]
    props = LINK_PROPERTIES["Event" if link.schema == "CoOffending" else link.schema]
    firsts = _people(link, props[0], nodes)
    seconds = [p for prop in props[1:] for p in _people(link, prop, nodes)]
    things = [(e, s) for prop in props for e, s in link.parties.get(prop, [])
              if e not in nodes and s in SHARED_SCHEMATA]
    evidence = f"record:{link.record_id}"
    for person in firsts + seconds:  # remembered: who else holds the same thing
        for thing, schema in things:
            owned[thing].append((person, SHARED_SCHEMATA[schema], link.agency, link.on,
                                 f"{link.protection}|{evidence}"))
    if link.schema in ("Event", "CoOffending"):  # all who took part, two by two
        everyone = sorted(set(firsts + seconds))
        for a, b in combinations(everyone, 2):
            yield (a, b, kind, False, link.agency, link.protection, weight, link.on, evidence)
        return
    for a in firsts:
        for b in seconds:
            if a != b:
                yield (a, b, kind, directed, link.agency, link.protection, weight, link.on,
                       evidence)


def _people(link: _Link, prop: str, nodes: dict[str, str]) -> list[str]:
    return sorted({e for e, _ in link.parties.get(prop, []) if e in nodes})


def _shared_things(owned: dict[str, list[tuple[str, str, str, date | None, str]]]
                   ) -> Iterator[tuple[Any, ...]]:
    """People tied through links to the same resolved vehicle, account or phone."""
    for holders in owned.values():
        people = sorted({h[0] for h in holders})
        if not 2 <= len(people) <= MAX_SHARERS:
            continue
        first = {h[0]: h for h in reversed(holders)}
        for a, b in combinations(people, 2):
            _, kind, agency, on, tagged = first[b]
            protection, evidence = tagged.split("|", 1)
            yield (a, b, kind, False, agency, protection, SHARED_WEIGHT[kind], on, evidence)


def _shared_keys(conn: Connection, nodes: dict[str, str]) -> Iterator[tuple[Any, ...]]:
    """People whose records carry the same phone number, IBAN or plate."""
    query = (select(record_keys.c.kind, record_keys.c.key, record_entities.c.entity_id,
                    records.c.agency_code, records.c.protection, records.c.id,
                    records.c.observed_on)
             .join(records, records.c.id == record_keys.c.record_id)
             .join(record_entities, record_entities.c.record_id == records.c.id)
             .where(record_keys.c.kind.in_(sorted(SHARED_KEYS)),
                    records.c.schema.in_(NODE_SCHEMATA))
             .order_by(record_keys.c.kind, record_keys.c.key))
    yield from _sharers(((kind, key), entity, agency, protection, rid, on)
                        for kind, key, entity, agency, protection, rid, on
                        in conn.execute(query) if entity in nodes)


def _shared_addresses(conn: Connection, nodes: dict[str, str]) -> Iterator[tuple[Any, ...]]:
    """People whose records give the same address (folded): a household, a stash."""
    query = (select(statements.c.value, record_entities.c.entity_id, records.c.agency_code,
                    records.c.protection, records.c.id, records.c.observed_on)
             .join(records, records.c.id == statements.c.record_id)
             .join(record_entities, record_entities.c.record_id == records.c.id)
             .where(statements.c.prop == "address", statements.c.retired_batch_id.is_(None),
                    records.c.schema.in_(NODE_SCHEMATA))
             .order_by(statements.c.value))
    rows = sorted(((("address", _fold_address(value)), entity, agency, protection, rid, on)
                   for value, entity, agency, protection, rid, on in conn.execute(query)
                   if entity in nodes), key=lambda r: r[0])
    yield from _sharers(rows)


def _fold_address(value: str) -> str:
    return " ".join("".join(c for c in value.casefold() if c.isalnum() or c.isspace()).split())


def _sharers(rows: Iterable[tuple[tuple[str, str], str, str, str, int, Any]]
             ) -> Iterator[tuple[Any, ...]]:
    """Edges between the people holding one key; `rows` come sorted by key."""
    for key, group in groupby(rows, key=lambda row: row[0]):
        yield from _pairs(key, [row[1:] for row in group])


def _pairs(key: tuple[str, str], group: list[tuple[str, str, str, int, Any]]
           ) -> Iterator[tuple[Any, ...]]:
    kind = SHARED_KEYS.get(key[0], "shared_address")
    people = sorted({g[0] for g in group})
    if not 2 <= len(people) <= MAX_SHARERS:
        return
    by_person = {g[0]: g for g in reversed(group)}
    for a, b in combinations(people, 2):
        _, agency, protection, rid, on = by_person[b]
        yield (a, b, kind, False, agency, protection, SHARED_WEIGHT[kind], on,
               f"record:{rid}")


def _calls(conn: Connection, nodes: dict[str, str]) -> Iterator[tuple[Any, ...]]:
    """Call detail records between two numbers that each belong to one person."""
    query = (select(record_keys.c.key, record_entities.c.entity_id)
             .join(records, records.c.id == record_keys.c.record_id)
             .join(record_entities, record_entities.c.record_id == records.c.id)
             .where(record_keys.c.kind == "phone", records.c.schema.in_(NODE_SCHEMATA)))
    holders: dict[str, set[str]] = defaultdict(set)
    for number, entity in conn.execute(query):
        if entity in nodes:
            holders[number].add(entity)
    # a number several people give is shared (a family line): it says who called nobody
    owner = {n: next(iter(e)) for n, e in holders.items() if len(e) == 1}
    for edge in calls_repo.all_edges(conn):
        a, b = owner.get(edge.caller), owner.get(edge.callee)
        if a is None or b is None or a == b:
            continue
        yield (a, b, "call", True, edge.agency_code, edge.protection,
               CALL_WEIGHT * edge.calls, edge.month, f"calls:{edge.batch_id}")
