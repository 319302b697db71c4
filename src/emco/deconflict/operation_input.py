"""Reading an operation as a service registers it: each field checked, and a clear
message naming the field when one is wrong. Pure functions, but for the lookups of
`resolve_investigation`."""

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from emco.deconflict.spatial import MAX_WINDOW
from emco.errors import BadInput
from emco.i18n import N_
from emco.ingest.normalize import clean_text
from emco.model.enums import OperationKind, Protection
from emco.model.types import RecordScope
from emco.store import investigations as investigations_repo
from emco.store.operations import Place

MAX_RADIUS_M = 100_000  # wider than a département: not an operation's area
MAX_REFERENCE = 100
MAX_TEXT = 200


@dataclass(frozen=True)
class OperationIn:
    """An operation as submitted (by the API, the CLI, the page or a scenario file);
    `targets` are (kind, value) pairs as `parse_target` reads them."""

    agency: str
    reference: str
    kind: str
    latitude: float | str  # a number, or its text (a form's field)
    longitude: float | str
    radius_m: float | str
    start: datetime | str
    end: datetime | str
    address: str | None = None
    investigation: str | None = None  # its reference, or AGENCY:REFERENCE
    protection: str = Protection.NP.value
    contact_name: str | None = None
    contact_phone: str | None = None
    targets: list[tuple[str, Any]] = field(default_factory=list)


def reference(value: str) -> str:
    text = clean_text(str(value or ""))
    if not text:
        raise BadInput(N_("give the operation's reference"), field="reference")
    if len(text) > MAX_REFERENCE:
        raise BadInput(N_("%(field)s must be at most %(limit)s characters long",
                          field="reference", limit=MAX_REFERENCE), field="reference")
    return text


def kind(value: str) -> OperationKind:
    try:
        return OperationKind(str(value).strip().lower())
    except ValueError:
        raise BadInput(N_("unknown kind of operation %(kind)s; one of %(kinds)s",
                          kind=repr(value), kinds=", ".join(k.value for k in OperationKind)),
                       field="kind") from None


def protection(value: str) -> Protection:
    try:
        return Protection(str(value).strip().upper())
    except ValueError:
        raise BadInput(N_("protection is NP or DR"), field="protection") from None


def place(latitude: Any, longitude: Any, radius_m: Any, address: str | None) -> Place:
    lat = _number(latitude, "latitude")
    lon = _number(longitude, "longitude")
    radius = _number(radius_m, "radius_m")
    if not -90 <= lat <= 90:
        raise BadInput(N_("latitude must be between -90 and 90 degrees"), field="latitude")
    if not -180 <= lon <= 180:
        raise BadInput(N_("longitude must be between -180 and 180 degrees"),
                       field="longitude")
    if radius < 1 or radius > MAX_RADIUS_M:
        raise BadInput(N_("radius_m must be between 1 and %(limit)s metres",
                          limit=MAX_RADIUS_M), field="radius_m")
    return Place(lat, lon, round(radius), text(address, "address", 500))


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool):
        raise BadInput(N_("%(field)s must be a number", field=name), field=name)
    try:  # a decimal comma, as French is written, is read too
        number = float(value.strip().replace(",", ".") if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise BadInput(N_("%(field)s must be a number", field=name), field=name) from None
    if not math.isfinite(number):
        raise BadInput(N_("%(field)s must be a number", field=name), field=name)
    return number


def moment(value: datetime | str, name: str) -> datetime:
    """A time with its offset from UTC (an operation in France is planned in French time:
    a time without an offset would be read differently by different services)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise BadInput(N_("%(field)s is not a date and time such as "
                              "2026-02-03T06:00+01:00", field=name), field=name) from None
    if not isinstance(value, datetime):
        raise BadInput(N_("%(field)s is not a date and time such as 2026-02-03T06:00+01:00",
                          field=name), field=name)
    if value.tzinfo is None or value.utcoffset() is None:
        raise BadInput(N_("%(field)s needs its offset from UTC, such as "
                          "2026-02-03T06:00+01:00 (or Z for UTC)", field=name), field=name)
    return value


def window(start: datetime | str, end: datetime | str) -> tuple[datetime, datetime]:
    begins, ends = moment(start, "start"), moment(end, "end")
    if ends <= begins:
        raise BadInput(N_("the operation must end after it starts"), field="end")
    if ends - begins > MAX_WINDOW:
        raise BadInput(N_("an operation lasts at most %(days)s days; register a longer "
                          "one in parts", days=MAX_WINDOW.days), field="end")
    return begins, ends


def text(value: str | None, name: str, longest: int = MAX_TEXT) -> str | None:
    cleaned = clean_text(str(value)) if value is not None else ""
    if len(cleaned) > longest:
        raise BadInput(N_("%(field)s must be at most %(limit)s characters long", field=name,
                          limit=longest), field=name)
    return cleaned or None


def resolve_investigation(conn: Connection, agency: str, given: str | None) -> int | None:
    """The id of the service's own investigation named `given` (its reference, or
    AGENCY:REFERENCE). Another service's case is refused as an unknown one: the answer
    does not tell whether it exists."""
    if given is None or not given.strip():
        return None
    ref = given.strip()
    owner, sep, rest = ref.partition(":")
    if sep and owner.strip().upper() == agency:
        ref = rest.strip()
    every = RecordScope(frozenset({agency}), frozenset(Protection))
    found = investigations_repo.by_reference(conn, every, agency, ref)
    if found is None:
        raise BadInput(N_("%(agency)s has no investigation %(ref)s", agency=agency,
                          ref=repr(given.strip())), field="investigation")
    return found.id
