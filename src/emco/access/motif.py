"""Why a person's data is looked at: the motif and the case reference.

A search, the opening of a Person record and of a resolved entity's profile, a handling
request and a judicial export state a motif and a case reference; both are written on
the audit row of the access. A look without them is refused, and the refusal is audited
as denied.
"""

import unicodedata
from collections.abc import Callable
from typing import TypeVar

from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.errors import BadInput
from emco.i18n import N_, Message
from emco.model.enums import Outcome

MAX_MOTIF = 500
MAX_CASE_REF = 100
# The schemata whose records and entities are a person's profile.
PERSON_SCHEMATA = frozenset({"Person"})
_T = TypeVar("_T")


def _clean(value: str | None, field: str, limit: int, too_long: Message,
           control: Message) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > limit:
        raise BadInput(too_long, field=field)
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise BadInput(control, field=field)
    return text


def clean(motif: str | None, case_ref: str | None) -> tuple[str | None, str | None]:
    """The motif and case reference stripped, blank as None; `BadInput` naming the field
    when one is too long or holds a control character (a line break included)."""
    return (_clean(motif, "motif", MAX_MOTIF,
                   N_("the motif is at most %(n)s characters", n=MAX_MOTIF),
                   N_("the motif may not hold control characters")),
            _clean(case_ref, "case_ref", MAX_CASE_REF,
                   N_("the case reference is at most %(n)s characters", n=MAX_CASE_REF),
                   N_("the case reference may not hold control characters")))


def required(motif: str | None, case_ref: str | None) -> tuple[str, str]:
    """Both given and well-formed, else `BadInput` naming the first field at fault."""
    why, ref = clean(motif, case_ref)
    if why is None:
        raise BadInput(N_("give the motif of this look at a person's data"), field="motif")
    if ref is None:
        raise BadInput(N_("give the case reference this look serves"), field="case_ref")
    return why, ref


def audited(access: Access, event: AuditEvent, check: Callable[[], _T]) -> _T:
    """`check()`; a `BadInput` it raises is audited as denied on `event`, then raised."""
    try:
        return check()
    except BadInput as exc:
        access.record(event, Outcome.DENIED, exc.message)
        raise


def require(access: Access, event: AuditEvent, motif: str | None, case_ref: str | None
            ) -> tuple[str, str]:
    """`required`, the refusal audited as denied on `event`; the event carries the motif
    and case reference once they are good."""
    why, ref = audited(access, event, lambda: required(motif, case_ref))
    event.motif, event.case_ref = why, ref
    return why, ref
