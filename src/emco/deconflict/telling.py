"""Telling both sides of a conflict, each only what it needs to deconflict.

One alert per pair of operations (the key is their two ids, sorted): raised again at
every check that finds the pair, it stays one alert, updated only when the evidence
changes. Each service is told:

- that another service has an operation there and then, or on one of its targets, or on
  the network around the detainee it moves; that service's contact point and reference;
- the kind of conflict, and what matched as the recipient itself registered it: its own
  area (place and time), the part of its own window the other operation covers, its own
  targets that matched;
- for a move, the day the other operation starts (to put one of them off).

Never the other side's targets, area, kind or file. The staff's operators see it all
(`staff_view`).
"""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from emco.alerts.service import Recipient, raise_alert
from emco.deconflict.conflicts import Finding, Margins, Targets, find
from emco.model.enums import AlertKind, AlertSeverity, ConflictKind, TargetKind
from emco.model.types import Principal
from emco.store import agencies
from emco.store import investigations as investigations_repo
from emco.store import operations as repo
from emco.store.db import utc
from emco.store.operations import OperationRow
from emco.store.targets import TargetRow

AUTHOR = "deconflict"
LOCAL = ZoneInfo("Europe/Paris")  # the day of an operation, as French services count it
SEVERITY = {ConflictKind.PLACE_TIME: AlertSeverity.CRITICAL,  # armed teams face to face
            ConflictKind.TRANSFER: AlertSeverity.CRITICAL,  # a move is when escapes happen
            ConflictKind.SURVEILLANCE: AlertSeverity.HIGH}
RANK = [AlertSeverity.LOW, AlertSeverity.MEDIUM, AlertSeverity.HIGH, AlertSeverity.CRITICAL]
# Titles are stored text shown to every recipient, in the staff's working language (as
# the target-overlap alerts' "Cible commune"): the kinds themselves are in the alert.
LABELS = {ConflictKind.PLACE_TIME: "même lieu, même moment",
          ConflictKind.SURVEILLANCE: "cible sous surveillance",
          ConflictKind.TRANSFER: "mouvement d'un détenu"}


@dataclass
class CheckResult:
    """What a check found: every conflict standing among the operations checked, the
    alerts that were raised or took new evidence, and the conflicts that no longer
    stand."""

    findings: list[Finding]
    alerts_raised: int = 0
    alerts_updated: int = 0
    cleared: int = 0


def check(conn: Connection, operation_ids: list[int], margins: Margins,
          principal: Principal, now: datetime) -> CheckResult:
    """Check these operations against every other service's, in the caller's write
    transaction: record the conflicts standing, forget those gone, and raise one alert
    per pair in conflict."""
    repo.lock(conn)
    known = Targets(conn)  # read once for all the operations checked
    result = CheckResult([])
    seen: set[tuple[int, int]] = set()
    ids = sorted(set(operation_ids))
    rows = repo.unscoped(conn, ids)
    for op_id in ids:
        op = rows.get(op_id)
        if op is None:
            continue
        found = find(conn, margins, op, known)
        gone = [(c.left_id, c.right_id) for c in repo.conflicts_of(conn, [op.id])
                if c.other(op.id) not in found]
        repo.drop_conflicts(conn, gone)
        result.cleared += len(gone)
        for finding in found.values():
            if finding.pair in seen:
                continue
            seen.add(finding.pair)
            result.findings.append(finding)
            raised = raise_alert(
                conn, kind=AlertKind.OPERATION_CONFLICT, key=f"{finding.left.id}:"
                f"{finding.right.id}", severity=severity(finding), title=title(finding),
                recipients=[Recipient(mine.agency, disclosure(conn, finding, mine, other))
                            for mine, other in ((finding.left, finding.right),
                                                (finding.right, finding.left))],
                staff_view=staff_view(finding), author=AUTHOR, now=now, principal=principal)
            result.alerts_raised += raised.created
            result.alerts_updated += raised.updated
            repo.save_conflict(conn, finding.left.id, finding.right.id, finding.kinds,
                               staff_view(finding), raised.alert_id, now)
    return result


def severity(finding: Finding) -> AlertSeverity:
    return max((SEVERITY[k] for k in finding.kinds), key=RANK.index)


def title(finding: Finding) -> str:
    """Shown to both services: the two references (each learns the other's) and the kind
    of conflict, nothing of either file."""
    kinds = ", ".join(LABELS[k] for k in finding.kinds)
    return f"Opérations à déconflicter : {finding.left.ref} et {finding.right.ref} ({kinds})"


def disclosure(conn: Connection, finding: Finding, mine: OperationRow, other: OperationRow
               ) -> dict[str, Any]:
    """What the service of `mine` learns of the conflict with `other`."""
    out: dict[str, Any] = {
        "conflict": [k.value for k in finding.kinds],
        "operation": {"id": mine.id, "reference": mine.reference},
        "other": {"agency": other.agency, "service": _service_name(conn, other.agency),
                  "reference": other.reference, "contact": contact(conn, other)},
    }
    if ConflictKind.PLACE_TIME in finding.kinds:
        out["area"] = {"latitude": mine.latitude, "longitude": mine.longitude,
                       "radius_m": mine.radius_m}
    if finding.window is not None:
        out["window"] = {"start": _iso(finding.window[0]), "end": _iso(finding.window[1])}
    if ConflictKind.TRANSFER in finding.kinds:
        out["other_starts_on"] = other.starts_at.astimezone(LOCAL).date().isoformat()
    matched = finding.matched.get(mine.id, [])
    if matched:
        out["targets"] = [_target(t) for t in matched]
    return out


def staff_view(finding: Finding) -> dict[str, Any]:
    """The whole picture, for the staff's operators."""
    window = finding.window
    return {
        "conflict": [k.value for k in finding.kinds],
        "operations": [_operation(op, finding.matched.get(op.id, []))
                       for op in (finding.left, finding.right)],
        "distance_m": finding.distance_m,
        "window": {"start": _iso(window[0]), "end": _iso(window[1])} if window else None,
        "shared": finding.shared,
    }


def contact(conn: Connection, op: OperationRow) -> dict[str, str | None]:
    """Whom to call about an operation: its own contact, else the lead of its
    investigation, else the service's contact point."""
    if op.contact_name:
        return {"name": op.contact_name, "phone": op.contact_phone, "email": None}
    if op.investigation_id is not None:
        case = investigations_repo.unscoped(conn, [op.investigation_id]).get(
            op.investigation_id)
        if case is not None:
            return {"name": case.contact.name, "phone": case.contact.phone,
                    "email": case.contact.email}
    agency = agencies.get(conn, op.agency)
    if agency is None:
        return {"name": None, "phone": None, "email": None}
    return {"name": agency.contact_name, "phone": agency.contact_phone,
            "email": agency.contact_email}


def _service_name(conn: Connection, code: str) -> str:
    agency = agencies.get(conn, code)
    return agency.name if agency else code


def _operation(op: OperationRow, matched: list[TargetRow]) -> dict[str, Any]:
    return {"id": op.id, "ref": op.ref, "agency": op.agency, "reference": op.reference,
            "kind": op.kind.value, "latitude": op.latitude, "longitude": op.longitude,
            "radius_m": op.radius_m, "address": op.address, "start": _iso(op.starts_at),
            "end": _iso(op.ends_at), "protection": op.protection.value,
            "investigation_id": op.investigation_id,
            "matched_targets": [_target(t) for t in matched]}


def _target(t: TargetRow) -> dict[str, Any]:
    return {"id": t.id, "kind": t.kind.value, "value": _given(t)}


def _given(t: TargetRow) -> Any:
    return json.loads(t.value) if t.kind == TargetKind.PERSON else t.value


def _iso(value: datetime) -> str:
    return utc(value).isoformat()
