"""The small world the permission matrix (tests/access/test_matrix.py) runs on, declared
here and seeded through the platform's own entry points.

What is declared (`RECORDS`, `LINKS`, `LINKED`, `GRANTS`, `INVESTIGATIONS`, `OPERATIONS`)
is what the oracle (`tests.access.matrix`) reasons on; `seed` puts it in a store and
returns the ids the store gave. Every record, case and operation carries a *marker*: a
word no other object holds, so that a response can be searched for what its reader may
not see.

- three owners: two services (OFAST, DNPJ) and the staff itself (EMCO), each with a
  Person record in every handling code (H0-H3) and protection mention (NP, DR);
- link records stating a network of OFAST's people (one link DR) and one of DNPJ's;
- two incidents about one person, for the dangerousness signals: OFAST's (H0) and DNPJ's
  (H2, not passed to OFAST);
- one person resolved across the three owners (`LINKED`), by an operator's judgements;
- records passed between the services, pending, refused, and a judicial consent;
- an investigation and an operation of each service in NP and DR, overlapping and in
  conflict across the services (four alerts);
- a network mapping run and a dangerousness run of the staff, and pairs left by the
  model for review.
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from emco.access import handling
from emco.access.gate import Access
from emco.deconflict import investigations
from emco.deconflict import operations as operations_stage
from emco.deconflict.conflicts import Margins
from emco.deconflict.investigations import new_investigation
from emco.deconflict.operation_input import OperationIn
from emco.deconflict.targets import parse_targets
from emco.model.enums import Protection, Role, Verdict
from emco.model.types import Principal
from emco.network.networks import map_networks
from emco.resolve.service import Thresholds, judge
from emco.risk.assess import assess_all
from emco.settings import Settings
from emco.store import networks as networks_repo
from emco.store import resolution
from emco.store.db import Database
from emco.store.tables import alerts as alerts_table
from emco.store.tables import records as records_table
from tests import factories

SERVICES = ("OFAST", "DNPJ")
STAFF = "EMCO"
OWNERS = (*SERVICES, STAFF)
CODES = ("H0", "H1", "H2", "H3")
PROTECTIONS = ("NP", "DR")
_WORDS = {"H0": "Hzero", "H1": "Hone", "H2": "Htwo", "H3": "Hthree"}
SURNAME = "Matrixperson"  # every Person record's: one search finds them all


@dataclass(frozen=True)
class Rec:
    """A declared record: `key` names it in the declarations (OFAST-H1-DR)."""

    key: str
    agency: str
    handling: str
    protection: str
    schema: str = "Person"
    marker: str | None = None  # a word only this record holds
    phone: str | None = None  # as the service wrote it

    @property
    def person(self) -> bool:
        return self.schema == "Person"


def _person(agency: str, code: str, protection: str) -> Rec:
    a, c, p = OWNERS.index(agency), CODES.index(code), PROTECTIONS.index(protection)
    return Rec(f"{agency}-{code}-{protection}", agency, code, protection,
               marker=f"Mx{agency.title()}{_WORDS[code]}{protection.title()}",
               phone=f"06 {10 + a} {10 + c} {10 + p} 77")


PEOPLE = [_person(a, c, p) for a in OWNERS for c in CODES for p in PROTECTIONS]
PERSONS = [r.key for r in PEOPLE]
# The people most rows ask about (the record read asks about all): every handling code
# and mention of each owner, the linked person, records passed (in NP and DR), pending,
# refused, and people a link reaches whose records are out of sight.
SAMPLE = ["OFAST-H0-NP", "OFAST-H0-DR", "OFAST-H1-DR", "OFAST-H2-NP", "OFAST-H2-DR",
          "OFAST-H3-DR", "DNPJ-H1-NP", "DNPJ-H2-DR", "DNPJ-H3-DR", "EMCO-H3-DR"]
# Links between people (FtM Associate records, H0): (key, agency, protection, from, to).
LINKS = [
    ("OFAST-L1", "OFAST", "NP", "OFAST-H0-NP", "OFAST-H1-NP"),
    ("OFAST-L2", "OFAST", "NP", "OFAST-H1-NP", "OFAST-H2-NP"),
    ("OFAST-L3", "OFAST", "NP", "OFAST-H2-NP", "OFAST-H0-NP"),
    ("OFAST-L4", "OFAST", "NP", "OFAST-H3-NP", "OFAST-H0-NP"),
    ("OFAST-L5", "OFAST", "DR", "OFAST-H0-DR", "OFAST-H0-NP"),
    ("DNPJ-L1", "DNPJ", "NP", "DNPJ-H1-NP", "DNPJ-H3-NP"),
    ("DNPJ-L2", "DNPJ", "NP", "DNPJ-H3-NP", "DNPJ-H3-DR"),
    ("DNPJ-L3", "DNPJ", "NP", "DNPJ-H3-DR", "DNPJ-H1-NP"),
]
# Incidents (FtM Event records), each about one person: (key, agency, code, person,
# keyword, the dangerousness signal it makes: src/emco/config/signals.yml).
EVENTS = [("OFAST-EV", "OFAST", "H0", "OFAST-H0-NP", "homicide", "serious_violence"),
          ("DNPJ-EV", "DNPJ", "H2", "DNPJ-H0-NP", "escape_attempt", "escape_attempt")]
RECORDS = [*PEOPLE,
           *(Rec(k, a, "H0", p, schema="Associate") for k, a, p, _, _ in LINKS),
           *(Rec(k, a, c, "NP", schema="Event", marker=f"MxEv{a.title()}")
             for k, a, c, *_ in EVENTS)]
BY_KEY = {r.key: r for r in RECORDS}
# One person known to the three owners: an operator's judgements join these records.
LINKED = ("OFAST-H0-NP", "OFAST-H1-DR", "DNPJ-H0-NP", "DNPJ-H2-NP", "EMCO-H0-NP")


@dataclass(frozen=True)
class Grant:
    """A handling request made while seeding: `outcome` is what the owner did with it
    (None: left pending, "at once": granted when asked)."""

    record: str
    kind: str  # disseminate or judicial
    to: str
    outcome: str | None


GRANTS = [
    Grant("OFAST-H0-NP", "disseminate", "DNPJ", "at once"),  # H0: nothing to ask
    Grant("OFAST-H2-NP", "disseminate", "DNPJ", "approved"),
    Grant("OFAST-H2-DR", "disseminate", "DNPJ", None),
    Grant("OFAST-H3-DR", "disseminate", "DNPJ", "at once"),  # travels with its condition
    Grant("DNPJ-H1-NP", "disseminate", "OFAST", "at once"),
    Grant("DNPJ-H2-DR", "disseminate", "OFAST", "refused"),
    Grant("OFAST-H1-NP", "judicial", STAFF, "approved"),
    Grant("OFAST-H1-DR", "judicial", STAFF, None),
]


def passed_to(agency: str) -> set[str]:
    """The records other services passed to `agency` (approved disseminations)."""
    return {g.record for g in GRANTS if g.kind == "disseminate" and g.to == agency
            and g.outcome in ("at once", "approved")}


def judicial_consent(agency: str) -> set[str]:
    return {g.record for g in GRANTS if g.kind == "judicial" and g.to == agency
            and g.outcome in ("at once", "approved")}


@dataclass(frozen=True)
class Case:
    """A declared investigation or operation; `targets` are bare phones."""

    key: str
    agency: str
    protection: str
    marker: str
    targets: tuple[str, ...] = ()


SHARED_PHONES = ("07 99 00 00 01", "07 99 00 00 02", "07 99 00 00 03")
INVESTIGATIONS = [
    Case("OFAST-NP", "OFAST", "NP", "MxInvOfastNp", (SHARED_PHONES[0],)),
    Case("OFAST-DR", "OFAST", "DR", "MxInvOfastDr", (SHARED_PHONES[1],)),
    Case("DNPJ-NP", "DNPJ", "NP", "MxInvDnpjNp", SHARED_PHONES[:2]),
    Case("DNPJ-DR", "DNPJ", "DR", "MxInvDnpjDr", (SHARED_PHONES[2],)),
]
# The first three share a place and a window: two conflicts across the services.
OPERATIONS = [
    Case("OFAST-NP", "OFAST", "NP", "MxOpOfastNp"),
    Case("OFAST-DR", "OFAST", "DR", "MxOpOfastDr"),
    Case("DNPJ-NP", "DNPJ", "NP", "MxOpDnpjNp"),
    Case("DNPJ-DR", "DNPJ", "DR", "MxOpDnpjDr"),
]
# Pairs the model left for review (none of them passed to the other service whole).
REVIEW_PAIRS = [("OFAST-H0-NP", "OFAST-H1-NP"), ("OFAST-H0-DR", "OFAST-H3-NP"),
                ("DNPJ-H1-NP", "DNPJ-H3-NP"), ("OFAST-H3-NP", "DNPJ-H3-NP"),
                ("EMCO-H1-NP", "EMCO-H2-DR")]


@dataclass
class Seeded:
    """What the store gave the declared world: ids by declared key."""

    records: dict[str, int]
    entities: dict[str, str]  # record key -> entity id
    investigations: dict[str, int]
    targets: dict[str, int]  # investigation key -> the id of its first target
    operations: dict[str, int]
    alerts: dict[str, int]  # "overlap:OFAST-NP" etc. -> alert id
    requests: dict[str, int]  # "RECORD kind" -> handling request id
    networks: dict[str, list[str]] = field(default_factory=dict)  # id -> member entities

    def key_of(self, record_id: int) -> str:
        return next(k for k, v in self.records.items() if v == record_id)


def seeder(agency: str, role: Role = Role.LIAISON) -> Principal:
    """The accounts that build the world: DR-cleared, outside the matrix's principals."""
    return factories.principal(agency, role, clearance=Protection.DR,
                               username=f"seed.{agency.lower()}")


def _file(agency: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for r in PEOPLE:
        if r.agency != agency:
            continue
        meta: dict[str, Any] = {"handling": r.handling, "protection": r.protection}
        if r.handling == "H3":
            meta["condition"] = f"Condition {r.marker}"
        out.append(factories.entity(r.key, "Person", meta=meta,
                                    name=f"{r.marker} {SURNAME}", phone=r.phone,
                                    email=f"{(r.marker or '').lower()}@matrix.test",
                                    birthDate="1980-01-01"))
    for key, owner, protection, left, right in LINKS:
        if owner == agency:
            out.append(factories.entity(key, "Associate", meta={"protection": protection},
                                        person=left, associate=right))
    for key, owner, code, party, keyword, _signal in EVENTS:
        if owner == agency:
            out.append(factories.entity(key, "Event", meta={"handling": code},
                                        name=f"{BY_KEY[key].marker} incident",
                                        involved=party, keywords=keyword,
                                        date="2025-06-01"))
    return out


def seed(db: Database, settings: Settings, tmp: Path) -> Seeded:
    staff = Access(db, seeder(STAFF, Role.OPERATOR))
    ids = _ingest(db, settings, tmp)
    thresholds = Thresholds.of(settings)
    first = ids[LINKED[0]]
    for other in LINKED[1:]:
        judge(staff, first, ids[other], Verdict.POSITIVE, "seeded: one man", thresholds)
    with db.write() as conn:  # the model's doubts, as a resolution run leaves them
        resolution.add_judgements(db, conn, [
            (ids[a], ids[b], Verdict.UNSURE, 0.3 + n / 100, "model:1",
             json.dumps({"probability": 0.3, "match_weight": 0.1, "parts": []}))
            for n, (a, b) in enumerate(REVIEW_PAIRS)])
    with db.read() as conn:
        by_record = resolution.entities(conn)
    entities = {k: by_record[v] for k, v in ids.items()}
    requests = _grants(db, ids)
    cases, targets = _investigations(db, settings)
    operations, alerts = _operations(db, settings, cases)
    map_networks(staff)
    assess_all(staff)
    seeded = Seeded(ids, entities, cases, targets, operations, alerts, requests)
    with db.read() as conn:
        for network in networks_repo.current_networks(conn):
            members = networks_repo.members(conn, network.id, network.last_run_id)
            seeded.networks[network.id] = [m.entity_id for m in members]
    return seeded


def _ingest(db: Database, settings: Settings, tmp: Path) -> dict[str, int]:
    for agency in OWNERS:
        entities = _file(agency)
        path = factories.write_jsonl(tmp / f"matrix-{agency.lower()}.jsonl", entities)
        summary = factories.load(db, settings, path, agency=agency)
        assert summary.accepted == len(entities), summary.first_errors
    with db.read() as conn:
        found = {source: int(rid) for rid, source in conn.execute(
            records_table.select().with_only_columns(records_table.c.id,
                                                     records_table.c.source_id))}
    assert set(found) == set(BY_KEY), sorted(set(found) ^ set(BY_KEY))
    return found


def _grants(db: Database, ids: dict[str, int]) -> dict[str, int]:
    staff = Access(db, seeder(STAFF, Role.OPERATOR))
    out: dict[str, int] = {}
    for g in GRANTS:
        row = handling.request(staff, ids[g.record], kind=g.kind, motif="seeded",
                               case_ref="SEED-1", for_agency=g.to)
        assert (row.status.value == "approved") == (g.outcome == "at once"), g
        if g.outcome in ("approved", "refused"):
            owner = Access(db, seeder(BY_KEY[g.record].agency))
            handling.decide(owner, row.id, approve=g.outcome == "approved", note="seeded")
        out[f"{g.record} {g.kind}"] = row.id
    return out


def _investigations(db: Database, settings: Settings
                    ) -> tuple[dict[str, int], dict[str, int]]:
    region = settings.default_region
    cases: dict[str, int] = {}
    targets: dict[str, int] = {}
    for c in INVESTIGATIONS:
        new = new_investigation(agency=c.agency, reference=f"REF-{c.key}", title=c.marker,
                                contact_name=f"Lead {c.agency}", protection=c.protection,
                                region=region)
        view = investigations.register(
            Access(db, seeder(c.agency)), new,
            parse_targets([("phone", p) for p in c.targets], region),
            Thresholds.of(settings))
        cases[c.key] = view.investigation.id
        targets[c.key] = view.targets[0].id
    return cases, targets


def _operations(db: Database, settings: Settings, cases: dict[str, int]
                ) -> tuple[dict[str, int], dict[str, int]]:
    start = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    ops: dict[str, int] = {}
    for n, c in enumerate(OPERATIONS):
        far = 0.5 if c.key == "DNPJ-DR" else 0.0  # elsewhere: no conflict
        view = operations_stage.register(Access(db, seeder(c.agency)), OperationIn(
            agency=c.agency, reference=f"OP-{c.key}", kind="raid", latitude=48.85 + far,
            longitude=2.35, radius_m=100, start=start + timedelta(minutes=n),
            end=start + timedelta(hours=2), address=f"{c.marker} rue", protection=c.protection,
            contact_name=f"Chef {c.agency}"), Margins.of(settings), settings.default_region)
        ops[c.key] = view.operation.id
    found: dict[str, int] = {}
    with db.read() as conn:
        for alert_id, kind, key in conn.execute(alerts_table.select().with_only_columns(
                alerts_table.c.id, alerts_table.c.kind, alerts_table.c.key)):
            found[f"{kind}:{key}"] = int(alert_id)
    return ops, _name_alerts(found, cases, ops)


def _name_alerts(found: dict[str, int], cases: dict[str, int], ops: dict[str, int]
                 ) -> dict[str, int]:
    """The alerts by the declared objects they are about: `overlap:OFAST-NP` (OFAST's NP
    case with DNPJ's) and `conflict:OFAST-DR` (OFAST's DR operation with DNPJ's)."""
    out: dict[str, int] = {}
    for name, alert_id in found.items():
        kind, _, key = name.partition(":")
        numbers = {int(n) for n in key.replace("|", ":").split(":") if n.isdigit()}
        pool = cases if kind == "target_overlap" else ops
        label = "overlap" if kind == "target_overlap" else "conflict"
        mine = [k for k, v in pool.items() if v in numbers and k.startswith("OFAST")]
        assert len(mine) == 1, (name, numbers)
        out[f"{label}:{mine[0]}"] = alert_id
    assert sorted(out) == ["conflict:OFAST-DR", "conflict:OFAST-NP", "overlap:OFAST-DR",
                           "overlap:OFAST-NP"], found
    return out
