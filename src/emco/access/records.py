"""Searching and reading shared records, through the gate."""

from contextlib import suppress
from dataclasses import dataclass

from emco.access import motif as purpose
from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.errors import BadInput, NotFound
from emco.i18n import N_
from emco.ingest.normalize import (
    Invalid,
    normalize_email,
    normalize_iban,
    normalize_identifier,
    normalize_phone,
    query_tokens,
)
from emco.model.enums import AuditAction, Permission
from emco.model.records import Key
from emco.model.types import RecordSummary, RecordView
from emco.store import records as repo

MAX_QUERY = 200


@dataclass
class SearchResults:
    query: str
    total: int
    records: list[RecordSummary]


def identifier_keys(query: str, region: str) -> list[Key]:
    """The identifiers a query may be: a phone, an e-mail, an IBAN, a plate or a document."""
    keys: list[Key] = []
    text = query.strip()
    if "@" in text:
        with suppress(Invalid):
            keys.append(("email", normalize_email(text)))
        return keys
    digits = sum(c.isdigit() for c in text)
    if digits >= 6:
        with suppress(Invalid):
            keys.append(("phone", normalize_phone(text, region)))
        with suppress(Invalid):
            keys.append(("iban", normalize_iban(text)))
    if digits:
        try:
            ident = normalize_identifier(text)
        except Invalid:
            return keys
        if len(ident) >= 4:
            keys += [("plate", ident), ("id", ident)]
    return keys


def search(access: Access, query: str, *, region: str, limit: int = 50,
           motif: str | None = None, case_ref: str | None = None) -> SearchResults:
    """Records the principal may see whose name or identifier matches `query`. A search
    states its motif and case reference (`emco.access.motif`): refused, and audited as
    denied, without them."""
    text = query.strip()
    if not text:
        raise BadInput(N_("type a name or an identifier to search"), field="q")
    if len(text) > MAX_QUERY:
        raise BadInput(N_("a search is at most %(n)s characters", n=MAX_QUERY), field="q")
    tokens = query_tokens(text)
    ids = identifier_keys(text, region)
    if ids:  # "06 12 34 56 78" is a phone, not five name tokens
        tokens = [t for t in tokens if not t.isdigit()] if any(c.isalpha() for c in text) else []
    event = AuditEvent(AuditAction.RECORD_SEARCH, query={"q": text, "limit": limit})
    access.check(Permission.RECORD_SEARCH, event)
    purpose.require(access, event, motif, case_ref)
    with access.reading(Permission.RECORD_SEARCH, event) as p:
        total, found = repo.search(p.conn, p.scope, tokens, ids, limit)
        p.event.result_count = total
        p.event.objects = [f"record:{r.id}" for r in found]
    return SearchResults(text, total, found)


def read(access: Access, record_id: int, *, motif: str | None = None,
         case_ref: str | None = None) -> RecordView:
    """One record with its facts. A record out of sight is reported as not found. A
    Person record is opened with a motif and a case reference (refused, and audited as
    denied, without them)."""
    event = AuditEvent(AuditAction.RECORD_READ, objects=[f"record:{record_id}"])
    access.check(Permission.RECORD_READ, event)
    event.motif, event.case_ref = purpose_of(access, event, record_id, motif, case_ref)
    with access.reading(Permission.RECORD_READ, event) as p:
        view = repo.get(p.conn, p.scope, record_id)
        if view is None:
            raise NotFound(N_("no such record"))  # the same words for absent and out of sight
        p.event.result_count = 1
    return view


def needs_motif(access: Access, record_id: int) -> bool:
    """Whether opening this record asks for a motif: a Person record in the principal's
    sight (one out of sight answers False, and opening it answers not found)."""
    with access.db.read() as conn:
        return repo.schema_of(conn, access.scope, record_id) in purpose.PERSON_SCHEMATA


def purpose_of(access: Access, event: AuditEvent, record_id: int, motif: str | None,
               case_ref: str | None) -> tuple[str | None, str | None]:
    """The motif and case reference of opening a record or its entity: required for a
    Person record (`purpose.require`), optional but well-formed for others."""
    why, ref = purpose.audited(access, event, lambda: purpose.clean(motif, case_ref))
    if (why is None or ref is None) and needs_motif(access, record_id):
        return purpose.require(access, event, why, ref)
    return why, ref


def identities(access: Access) -> list[tuple[str, str, int]]:
    """(agency, source id, record id) of every record the principal sees, in id order.

    One audit row for the whole export (its count, not a million object references)."""
    event = AuditEvent(AuditAction.RECORD_EXPORT, query={"export": "identities"})
    with access.reading(Permission.RECORD_READ, event) as p:
        found = list(repo.identities(p.conn, p.scope))
        p.event.result_count = len(found)
    return found


def census(access: Access) -> dict[str, dict[str, int]]:
    """How many records the principal sees, per service then per FtM schema."""
    event = AuditEvent(AuditAction.RECORD_COUNT, query={"count": "agency,schema"})
    with access.reading(Permission.RECORD_SEARCH, event) as p:
        counts = repo.count_by_agency_and_schema(p.conn, p.scope)
        p.event.result_count = sum(counts.values())
    out: dict[str, dict[str, int]] = {}
    for (agency, schema), n in sorted(counts.items()):
        out.setdefault(agency, {})[schema] = n
    return out
