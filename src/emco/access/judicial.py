"""The judicial export: the records of one resolved entity (and optionally of its network)
as FollowTheMoney JSON lines, for use before a court.

The staff's operators export, for a case reference and with a motif (both audited). H1
records ("not for use as evidence without the owner's consent") stay out unless their
owner approved a `judicial` request for them (`emco.access.handling`); the export says
what it withheld, per owning service: how many and their ids, so that the exporter can
ask, never their content. Each line carries an `emco` sidecar: the record, its service,
its grade and handling code, and for H3 the owner's condition.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from followthemoney import model

from emco.access import motif as purpose
from emco.access.audit import AuditEvent
from emco.access.gate import Access, Passage
from emco.errors import NotFound
from emco.i18n import N_
from emco.model.enums import AuditAction, HandlingCode, Permission
from emco.model.types import RecordSummary
from emco.store import handling as repo
from emco.store import networks as networks_repo
from emco.store import records as records_repo
from emco.store import resolution as resolution_repo


@dataclass
class JudicialExport:
    entity: str
    case_ref: str
    motif: str
    network: bool
    lines: list[dict[str, Any]] = field(default_factory=list)
    withheld: dict[str, list[int]] = field(default_factory=dict)  # owner -> H1 record ids

    def jsonl(self) -> str:
        """The exported records, one FtM entity per line."""
        return "".join(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n"
                       for line in self.lines)

    def withheld_list(self) -> list[dict[str, Any]]:
        return [{"agency": agency, "count": len(ids), "records": ids}
                for agency, ids in sorted(self.withheld.items())]

    def to_dict(self) -> dict[str, Any]:
        return {"entity": self.entity, "case_ref": self.case_ref, "motif": self.motif,
                "network": self.network, "exported": len(self.lines),
                "withheld": self.withheld_list(), "entities": self.lines}


def export(access: Access, entity: str, *, case_ref: str | None, motif: str | None,
           network: bool = False) -> JudicialExport:
    """The entity's records in the exporter's scope (with `network`, those of the other
    members of its network in the latest mapping, and the link records between them),
    H1 records held back unless their owner consented."""
    event = AuditEvent(AuditAction.JUDICIAL_EXPORT, objects=[f"entity:{entity}"],
                       query={"entity": entity, "network": network})
    access.check(Permission.JUDICIAL_EXPORT, event)
    why, ref = purpose.require(access, event, motif, case_ref)
    out = JudicialExport(entity, ref, why, network)
    with access.reading(Permission.JUDICIAL_EXPORT, event) as p:
        ids = resolution_repo.members(p.conn, p.scope, entity)
        if not ids:
            raise NotFound(N_("no entity %(id)s among those you may see", id=entity),
                           field="entity")
        wanted = set(ids) | (_network_records(p, entity) if network else set())
        found = records_repo.summaries(p.conn, p.scope, sorted(wanted))
        consented = repo.judicial_approved(p.conn, access.principal.agency,
                                           [r.id for r in found
                                            if r.meta.handling is HandlingCode.H1])
        kept: list[RecordSummary] = []
        for r in found:
            if (r.meta.handling is HandlingCode.H1 and r.id not in consented
                    and r.agency != access.principal.agency):
                out.withheld.setdefault(r.agency, []).append(r.id)
            else:
                kept.append(r)
        out.lines = _lines(p, kept)
        p.event.objects += [f"record:{r.id}" for r in kept]
        p.event.result_count = len(kept)
        p.event.detail = "withheld H1: " + (", ".join(
            f"{a} {len(v)}" for a, v in sorted(out.withheld.items())) or "none")
    return out


def _network_records(p: Passage, entity: str) -> set[int]:
    mates = networks_repo.network_mates(p.conn, [entity])
    ids: set[int] = set()
    for mate in sorted(mates - {entity}):
        ids.update(resolution_repo.members(p.conn, p.scope, mate))
    for edge in networks_repo.edges_touching(p.conn, p.scope, mates | {entity},
                                             both_ends=True):
        ids.update(int(e[7:]) for e in edge.evidence
                   if e.startswith("record:") and e[7:].isdigit())
    return ids


def _lines(p: Passage, kept: list[RecordSummary]) -> list[dict[str, Any]]:
    facts = records_repo.current_facts(p.conn, [r.id for r in kept])
    ids = {(r.agency, r.source_id): f"emco-{r.id}" for r in kept}
    entities = {r.id: resolution_repo.entity_of(p.conn, r.id) for r in kept}
    lines = []
    for r in kept:
        proxy = model.make_entity(r.schema)
        proxy.id = f"emco-{r.id}"
        for prop, kind, value, _original in facts.get(r.id, []):
            if kind == "entity":
                target = ids.get((r.agency, value))
                if target is None:
                    continue  # a record not exported: no dangling reference
                value = target
            proxy.add(prop, value, quiet=True)
        m = r.meta
        lines.append({**proxy.to_dict(), "emco": {
            "record": r.id, "agency": r.agency, "source_id": r.source_id,
            "entity": entities.get(r.id), "grade": m.grade, "handling": m.handling.value,
            "handling_condition": m.handling_condition, "protection": m.protection.value}})
    return lines
