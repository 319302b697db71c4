"""Reading the audit log, itself audited."""

from emco.access import audit
from emco.access.audit import AuditEvent, Verification
from emco.access.gate import Access
from emco.model.enums import AuditAction, Outcome, Permission


def verify(access: Access) -> Verification:
    """Check the whole chain; the check and its result are logged at the end of it."""
    event = AuditEvent(AuditAction.AUDIT_VERIFY)
    access.check(Permission.AUDIT_VERIFY, event)
    with access.db.read() as conn:
        result = audit.verify(conn)
    event.result_count = result.checked
    access.record(event, Outcome.OK if result.ok else Outcome.FAILED, result.problem)
    return result
