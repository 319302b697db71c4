"""What each role may do, and which records a principal sees."""

import pytest

from emco.access import policy
from emco.access.gate import Access
from emco.errors import Forbidden
from emco.model.enums import Permission, Protection, Role
from emco.model.types import Principal
from emco.store.db import Database
from tests.factories import principal

P = Permission
DECONFLICT_READ = {P.INVESTIGATION_READ, P.OPERATION_READ, P.HIT_QUERY, P.ALERT_READ}
DECONFLICT_WRITE = {P.INVESTIGATION_WRITE, P.OPERATION_WRITE, P.ALERT_ACKNOWLEDGE,
                    P.ALERT_RESOLVE, P.WEBHOOK_MANAGE}
# Networks: the staff maps them; analysts read and export what their records show;
# liaisons read. Dangerousness: the staff runs, reads and decides; a service's liaison
# reads its own view and declares its own handling; analysts read.
NETWORK = {P.NETWORK_READ, P.NETWORK_EXPORT}
RISK = {P.RISK_RUN, P.RISK_READ, P.RISK_DECLARE, P.RISK_DECIDE}
# Handling codes: operators ask and export for a court; liaisons ask and decide for their
# own service's records.
HANDLING_STAFF = {P.HANDLING_REQUEST, P.JUDICIAL_EXPORT}
HANDLING_OWNER = {P.HANDLING_REQUEST, P.HANDLING_DECIDE}
EXPECTED: dict[Role, set[Permission]] = {
    Role.OPERATOR: {P.RECORD_READ, P.RECORD_SEARCH, P.AGENCY_READ, P.RESOLVE_RUN,
                    P.RESOLVE_EXPLAIN, P.JUDGEMENT_CREATE, P.REVIEW_READ, P.ENTITY_EXPORT,
                    *DECONFLICT_READ, *DECONFLICT_WRITE, *NETWORK, P.NETWORK_RUN, *RISK,
                    *HANDLING_STAFF, P.RETENTION_REVIEW},
    Role.LIAISON: {P.RECORD_READ, P.RECORD_SEARCH, P.RECORD_INGEST, P.AGENCY_READ,
                   P.RESOLVE_EXPLAIN, *DECONFLICT_READ, *DECONFLICT_WRITE, P.NETWORK_READ,
                   P.RISK_READ, P.RISK_DECLARE, *HANDLING_OWNER, P.RETENTION_REVIEW},
    Role.ANALYST: {P.RECORD_READ, P.RECORD_SEARCH, P.AGENCY_READ, P.RESOLVE_EXPLAIN,
                   *DECONFLICT_READ, *NETWORK, P.RISK_READ},
    Role.AUDITOR: {P.AUDIT_READ, P.AUDIT_VERIFY, P.AGENCY_READ},
    Role.ADMIN: {P.USER_CREATE, P.USER_UPDATE, P.AGENCY_READ, P.AUDIT_VERIFY,
                 P.RETENTION_RUN, P.TOKEN_MANAGE},
}
STAFF = frozenset({"EMCO"})


@pytest.mark.parametrize("role", list(Role))
def test_each_role_has_exactly_its_permissions(role: Role) -> None:
    granted = policy.permissions(principal("OFAST", role))
    assert granted == EXPECTED[role]
    for permission in Permission:
        assert policy.allows(principal("OFAST", role), permission) == (
            permission in EXPECTED[role])


def test_roles_add_up() -> None:
    both = principal("OFAST", Role.AUDITOR, Role.LIAISON)
    assert policy.permissions(both) == EXPECTED[Role.AUDITOR] | EXPECTED[Role.LIAISON]


def test_no_role_no_permission() -> None:
    nobody = principal("OFAST", Role.LIAISON)
    nobody = type(nobody)(username="nobody", agency="OFAST", roles=frozenset())
    assert policy.permissions(nobody) == frozenset()


def test_require_names_user_and_permission() -> None:
    policy.require(principal("OFAST", Role.LIAISON), P.RECORD_INGEST)
    with pytest.raises(Forbidden, match=r"test\.ofast may not .*case:record:ingest"):
        policy.require(principal("OFAST", Role.ANALYST), P.RECORD_INGEST)


def test_service_sees_its_own_records_only() -> None:
    for role in (Role.LIAISON, Role.ANALYST):
        scope = policy.record_scope(principal("OFAST", role), STAFF)
        assert scope.agencies == frozenset({"OFAST"})


def test_staff_operator_sees_every_service() -> None:
    scope = policy.record_scope(principal("EMCO", Role.OPERATOR), STAFF)
    assert scope.agencies is None


def test_operator_role_outside_the_staff_sees_its_service_only() -> None:
    scope = policy.record_scope(principal("OFAST", Role.OPERATOR), STAFF)
    assert scope.agencies == frozenset({"OFAST"})


def test_staff_member_without_operator_role_sees_the_staff_only() -> None:
    for role in (Role.LIAISON, Role.ANALYST, Role.AUDITOR, Role.ADMIN):
        scope = policy.record_scope(principal("EMCO", role), STAFF)
        assert scope.agencies == frozenset({"EMCO"})


def test_granted_records_widen_a_service_scope_only() -> None:
    scope = policy.record_scope(principal("DAP", Role.LIAISON), STAFF, frozenset({7}))
    assert (scope.agencies, scope.granted) == (frozenset({"DAP"}), frozenset({7}))
    staff = policy.record_scope(principal("EMCO", Role.OPERATOR), STAFF, frozenset({7}))
    assert (staff.agencies, staff.granted) == (None, frozenset())


def test_clearance_decides_protections() -> None:
    np_scope = policy.record_scope(principal("EMCO", Role.OPERATOR), STAFF)
    assert np_scope.protections == frozenset({Protection.NP})
    dr_scope = policy.record_scope(
        principal("EMCO", Role.OPERATOR, clearance=Protection.DR), STAFF)
    assert dr_scope.protections == frozenset({Protection.NP, Protection.DR})


def test_require_own_agency() -> None:
    policy.require_own_agency(principal("OFAST", Role.LIAISON), "OFAST")
    with pytest.raises(Forbidden, match=r"\(OFAST\) cannot write records of DNPJ"):
        policy.require_own_agency(principal("OFAST", Role.LIAISON), "DNPJ")
    with pytest.raises(Forbidden):  # not even the staff writes another service's records
        policy.require_own_agency(principal("EMCO", Role.OPERATOR), "DNPJ")


def test_gate_takes_the_staff_from_the_store(db: Database) -> None:
    """The staff is the agency flagged so in the agencies table (EMCO in the packaged file)."""
    assert Access(db, principal("EMCO", Role.OPERATOR)).scope.agencies is None
    assert Access(db, principal("OFAST", Role.OPERATOR)).scope.agencies == frozenset({"OFAST"})
    assert Access(db, principal("EMCO", Role.ANALYST)).scope.agencies == frozenset({"EMCO"})


def test_a_token_acts_with_its_scopes_only() -> None:
    """A service token's principal holds the intersection of its scopes and its user's
    permissions: a scope the user lacks grants nothing."""
    user = principal("OFAST", Role.LIAISON)
    scoped = Principal(username=user.username, agency=user.agency, roles=user.roles,
                       scopes=frozenset({P.HIT_QUERY.value, P.USER_CREATE.value}))
    assert policy.permissions(scoped) == {P.HIT_QUERY}
