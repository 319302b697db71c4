"""The one place that decides what a principal may do and see.

Stages never decide access themselves: they ask `require` for actions and `record_scope`
for what part of the shared records a principal sees, and hand that scope to the store.
"""

from emco.errors import Forbidden
from emco.i18n import N_
from emco.model.enums import Permission, Protection, Role
from emco.model.types import Principal, RecordScope

# Registers and alerts are read within a service's own scope (the staff sees all); a hit
# discloses only that another service works on the target, and its contact point.
DECONFLICT_READ = (Permission.INVESTIGATION_READ, Permission.OPERATION_READ,
                   Permission.HIT_QUERY, Permission.ALERT_READ)
# Networks are read through the edges of the records in the reader's scope.
NETWORK_READ = (Permission.NETWORK_READ, Permission.NETWORK_EXPORT)
# Dangerousness: the staff's operators run, read and decide; a service reads its own view
# of a person (emco.risk.explain) and declares its own handling of him.
RISK_ALL = (Permission.RISK_RUN, Permission.RISK_READ, Permission.RISK_DECLARE,
            Permission.RISK_DECIDE)

# Handling codes: a liaison asks and, for its own service's records only (checked by
# emco.access.handling), decides; the staff's operators ask and export for a court.
HANDLING_OWNER = (Permission.HANDLING_REQUEST, Permission.HANDLING_DECIDE)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OPERATOR: frozenset({Permission.RECORD_READ, Permission.RECORD_SEARCH,
                              Permission.AGENCY_READ, Permission.RESOLVE_RUN,
                              Permission.RESOLVE_EXPLAIN, Permission.JUDGEMENT_CREATE,
                              Permission.REVIEW_READ, Permission.ENTITY_EXPORT,
                              *DECONFLICT_READ, Permission.INVESTIGATION_WRITE,
                              Permission.OPERATION_WRITE, Permission.ALERT_ACKNOWLEDGE,
                              Permission.ALERT_RESOLVE, Permission.WEBHOOK_MANAGE,
                              *NETWORK_READ, Permission.NETWORK_RUN, *RISK_ALL,
                              Permission.RETENTION_REVIEW, Permission.HANDLING_REQUEST,
                              Permission.JUDICIAL_EXPORT}),
    Role.LIAISON: frozenset({Permission.RECORD_READ, Permission.RECORD_SEARCH,
                             Permission.RECORD_INGEST, Permission.AGENCY_READ,
                             Permission.RESOLVE_EXPLAIN, *DECONFLICT_READ,
                             Permission.INVESTIGATION_WRITE, Permission.OPERATION_WRITE,
                             Permission.ALERT_ACKNOWLEDGE, Permission.ALERT_RESOLVE,
                             Permission.WEBHOOK_MANAGE, Permission.NETWORK_READ,
                             Permission.RISK_READ, Permission.RISK_DECLARE,
                             Permission.RETENTION_REVIEW, *HANDLING_OWNER}),
    Role.ANALYST: frozenset({Permission.RECORD_READ, Permission.RECORD_SEARCH,
                             Permission.AGENCY_READ, Permission.RESOLVE_EXPLAIN,
                             *DECONFLICT_READ, *NETWORK_READ, Permission.RISK_READ}),
    Role.AUDITOR: frozenset({Permission.AUDIT_READ, Permission.AUDIT_VERIFY,
                             Permission.AGENCY_READ}),
    Role.ADMIN: frozenset({Permission.USER_CREATE, Permission.USER_UPDATE,
                           Permission.TOKEN_MANAGE,
                           Permission.AGENCY_READ, Permission.AUDIT_VERIFY,
                           Permission.RETENTION_RUN}),
}


def permissions(principal: Principal) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in principal.roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    if principal.scopes is not None:  # a service token: only what it was scoped to
        granted = {p for p in granted if p.value in principal.scopes}
    return frozenset(granted)


def allows(principal: Principal, permission: Permission) -> bool:
    return permission in permissions(principal)


def require(principal: Principal, permission: Permission) -> None:
    if not allows(principal, permission):
        raise Forbidden(N_("%(user)s may not do this (%(permission)s)", user=principal.username,
                            permission=permission.value))


def require_own_agency(principal: Principal, agency: str) -> None:
    """Writes into a service's records are made by that service only."""
    if principal.agency != agency:
        raise Forbidden(f"{principal.username} ({principal.agency}) cannot write records "
                        f"of {agency}")


def cleared(principal: Principal) -> frozenset[Protection]:
    if principal.clearance == Protection.DR:
        return frozenset({Protection.NP, Protection.DR})
    return frozenset({Protection.NP})


def sees_all(principal: Principal, staff_agencies: frozenset[str]) -> bool:
    """Whether the principal sees every service's records: the staff's operators."""
    return principal.has_role(Role.OPERATOR) and principal.agency in staff_agencies


def record_scope(principal: Principal, staff_agencies: frozenset[str],
                 granted: frozenset[int] = frozenset()) -> RecordScope:
    """A service sees its own records and those other services passed to it (`granted`:
    their approved dissemination requests); the staff's operators see every service's
    records; everyone within their clearance. `staff_agencies` are the codes of the staff
    itself."""
    if sees_all(principal, staff_agencies):
        return RecordScope(None, cleared(principal))
    return RecordScope(frozenset({principal.agency}), cleared(principal), granted)
