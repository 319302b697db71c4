"""Hit/no-hit: "is this identifier or person known?" answered with the contact points of
the services that know it, and nothing more.

A principal must learn no more than the existence of a hit from data it cannot see:

- no count, no record, no case, no suggestion: the services to call, by their public
  contact points (those of `agencies.yml`), the asker's own service left out;
- the same work whatever the answer: every lookup runs, with a value nothing takes when a
  previous one found nothing, and a person is scored against as many candidates (itself,
  for want of others) whether or not the store holds any;
- the same size: `HitResult.body` pads the JSON to a length fixed by the agencies
  catalogue and the query alone, never by the answer;
- the same errors: a malformed query is refused before anything is read (`InvalidTarget`,
  422), in words that depend on the query only.

Every query is audited (deconflict:hit:query): its hash, the services named, and a
"hit" or "no hit" the asker never reads (auditors do).
"""

import json
from dataclasses import dataclass
from typing import Any

from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.deconflict.targets import InvalidTarget, designations, parse_target
from emco.i18n import N_
from emco.model.enums import AuditAction, Permission, TargetKind, TargetOwner
from emco.model.types import Agency
from emco.resolve.service import Thresholds
from emco.store import agencies
from emco.store import investigations as investigations_repo
from emco.store import targets as repo
from emco.store.targets import Designated

QUERY_KINDS = (TargetKind.PHONE, TargetKind.PLATE, TargetKind.IBAN, TargetKind.DOCUMENT,
               TargetKind.EMAIL, TargetKind.PERSON)
SCORED = 64  # a person is scored this many times at least, found or not
PAGE = 1024  # bodies are padded to a multiple of this many bytes


@dataclass(frozen=True)
class Contact:
    """A service's public contact point (its duty desk)."""

    agency: str
    name: str
    contact_name: str
    phone: str
    email: str

    @classmethod
    def of(cls, a: Agency) -> "Contact":
        return cls(a.code, a.name, a.contact_name, a.contact_phone, a.contact_email)

    def to_dict(self) -> dict[str, str]:
        return {"agency": self.agency, "name": self.name, "contact_name": self.contact_name,
                "phone": self.phone, "email": self.email}


@dataclass(frozen=True)
class HitResult:
    kind: TargetKind
    key: str | None  # the query as understood (normalised), never anything found
    hit: bool
    contacts: tuple[Contact, ...]  # the services to call, by code
    everyone: tuple[Contact, ...]  # every service's contact point: sizes the padding

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "key": self.key, "hit": self.hit,
                "contacts": [c.to_dict() for c in self.contacts]}

    def body(self) -> bytes:
        """The JSON answer, padded with spaces in `padding` to a length that depends on
        the agencies catalogue and the query, not on the answer: the largest answer there
        could be (every service named) rounded up to `PAGE` bytes."""
        largest = dict(self.to_dict(), hit=True, contacts=[c.to_dict() for c in self.everyone])
        size = -(-len(_json(dict(largest, padding=""))) // PAGE) * PAGE
        bare = _json(dict(self.to_dict(), padding=""))
        return _json(dict(self.to_dict(), padding=" " * (size - len(bare))))


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def hit(access: Access, kind: TargetKind | str, value: str | int | dict[str, Any],
        region: str | None = None, thresholds: Thresholds | None = None) -> HitResult:
    """Whether any other service holds records of, or has an open or suspended
    investigation on, this identifier or person; with their contact points only."""
    spec = parse_target(kind, value, region)  # refused before anything is read
    if spec.kind not in QUERY_KINDS:
        raise InvalidTarget(N_("a hit query is about an identifier or a person, not a "
                               "%(kind)s", kind=spec.kind.value), field="kind")
    event = AuditEvent(AuditAction.HIT_QUERY, query={"kind": spec.kind.value, "key": spec.key})
    # The gate reads the principal's scope (a query of its own) once the passage holds a
    # connection: under many concurrent queries every pooled connection was held by a
    # passage waiting for a second one. Read it first.
    _ = access.scope
    with access.reading(Permission.HIT_QUERY, event) as p:
        found = Designated.of(designations(p.conn, spec, thresholds, pad_to=SCORED)
                              .designations)
        investigating, holding = repo.known(p.conn, found, TargetOwner.INVESTIGATION.value,
                                            investigations_repo.is_active)
        knowing = holding | set(investigating.values())
        everyone = tuple(Contact.of(a) for a in agencies.all_agencies(p.conn))
        # The asker's own holdings tell it nothing it cannot search itself.
        contacts = tuple(c for c in everyone if c.agency in knowing
                         and c.agency != access.principal.agency)
        p.event.objects = [f"agency:{c.agency}" for c in contacts]
        p.event.detail = "hit" if contacts else "no hit"
    return HitResult(spec.kind, spec.key, bool(contacts), contacts, everyone)
