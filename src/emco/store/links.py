"""The links between resolved entities that the services' records state.

A link is a record of an FtM interval schema (Associate, Family, Call, Payment…) whose
entity-typed properties name other records of the same service by their source ids
(statements of type `entity`, indexed in `record_keys` as kind "ref"). Two entities are
linked when one link record names a record of each. Read for the deconfliction check,
which discloses none of it; only `emco.deconflict` calls this.
"""

from collections.abc import Iterable

from sqlalchemy import Connection, and_, select

from emco.store.tables import record_entities, record_keys, records, statements

# The properties that tie the parties of a link, per schema. Left out: `proof` (a
# document), an event's `addressEntity` and `riskSource`, a payment's contract and
# project: things that happen to be shared, not ties between people.
LINK_PROPERTIES: dict[str, tuple[str, ...]] = {
    "Associate": ("person", "associate"),
    "Family": ("person", "relative"),
    "Membership": ("member", "organization"),
    "UnknownLink": ("subject", "object"),
    "Ownership": ("owner", "asset"),
    "Directorship": ("director", "organization"),
    "Employment": ("employer", "employee"),
    "Representation": ("agent", "client"),
    "Call": ("caller", "receiver"),
    "Payment": ("payer", "payerAccount", "beneficiary", "beneficiaryAccount"),
    "Event": ("organizer", "involved"),
}
_SCHEMATA = sorted(LINK_PROPERTIES)
_PROPERTIES = sorted({p for props in LINK_PROPERTIES.values() for p in props})
_PART = 1000  # entities looked up per statement


def linked(conn: Connection, entity_ids: Iterable[str]) -> set[str]:
    """The entities one link away from any of `entity_ids` (themselves left out unless
    linked to another of them)."""
    wanted = sorted(set(entity_ids))
    found: set[str] = set()
    start_records = records.alias("start_records")
    link = records.alias("link")
    party = records.alias("party")
    to_start = statements.alias("to_start")
    to_party = statements.alias("to_party")
    start_entity = record_entities.alias("start_entity")
    party_entity = record_entities.alias("party_entity")
    for first in range(0, len(wanted), _PART):
        part = wanted[first:first + _PART]
        query = (
            select(start_entity.c.entity_id, party_entity.c.entity_id).distinct()
            .select_from(start_entity)
            .join(start_records, start_records.c.id == start_entity.c.record_id)
            # the link records naming a record of the start entity…
            .join(record_keys, and_(record_keys.c.kind == "ref",
                                    record_keys.c.key == start_records.c.source_id))
            .join(link, and_(link.c.id == record_keys.c.record_id,
                             link.c.agency_code == start_records.c.agency_code,
                             link.c.schema.in_(_SCHEMATA)))
            # …as a party (not, say, as the proof of it)…
            .join(to_start, and_(to_start.c.record_id == link.c.id,
                                 to_start.c.value == start_records.c.source_id,
                                 to_start.c.prop.in_(_PROPERTIES),
                                 to_start.c.retired_batch_id.is_(None)))
            # …and the other parties it names, with their entities.
            .join(to_party, and_(to_party.c.record_id == link.c.id,
                                 to_party.c.prop_type == "entity",
                                 to_party.c.prop.in_(_PROPERTIES),
                                 to_party.c.retired_batch_id.is_(None)))
            .join(party, and_(party.c.agency_code == link.c.agency_code,
                              party.c.source_id == to_party.c.value))
            .join(party_entity, party_entity.c.record_id == party.c.id)
            .where(start_entity.c.entity_id.in_(part)))
        for start, other in conn.execute(query):
            if other != start:
                found.add(other)
    return found
