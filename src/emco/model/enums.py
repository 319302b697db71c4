"""Names from the domain, as enums with stable string values.

The values are stored in the database and written in the audit log: never rename one,
add a new member instead.
"""

from enum import StrEnum


class HandlingCode(StrEnum):
    """Europol handling codes: how far an item may travel beyond its owner."""

    H0 = "H0"  # no restriction beyond the law
    H1 = "H1"  # not for use as evidence in judicial proceedings without the owner's consent
    H2 = "H2"  # not to be disseminated without the owner's permission
    H3 = "H3"  # other restrictions, stated in free text by the owner


class SourceReliability(StrEnum):
    """Evaluation of the source (the 4x4 system used by Europol)."""

    A = "A"  # no doubt about authenticity, trustworthiness or competence
    B = "B"  # source has proved reliable in most instances
    C = "C"  # source has proved unreliable in most instances
    X = "X"  # reliability cannot be assessed


class InformationCredibility(StrEnum):
    """Evaluation of the information itself."""

    KNOWN = "1"  # known to be true without reservation
    KNOWN_TO_SOURCE = "2"  # known personally to the source but not to the official passing it on
    NOT_KNOWN = "3"  # not known personally to the source, corroborated by other information
    UNVERIFIED = "4"  # not known personally to the source, cannot be corroborated


class Protection(StrEnum):
    """French protection mention; DR items are seen on a need-to-know basis."""

    NP = "NP"  # non protégé
    DR = "DR"  # diffusion restreinte


class PersonCategory(StrEnum):
    """Category of the data subject (Law Enforcement Directive 2016/680, art. 6)."""

    SUSPECT = "suspect"
    CONVICTED = "convicted"
    VICTIM = "victim"
    WITNESS = "witness"
    OTHER = "other"


class Role(StrEnum):
    OPERATOR = "operator"  # operator of the coordination staff, sees across services
    LIAISON = "liaison"  # a service's liaison officer, loads and shares its records
    ANALYST = "analyst"  # a service's analyst, works on its own records
    AUDITOR = "auditor"
    ADMIN = "admin"


class Permission(StrEnum):
    """What a principal may do, as `scope:resource:action`."""

    RECORD_READ = "case:record:read"
    RECORD_SEARCH = "case:record:search"
    RECORD_INGEST = "case:record:ingest"
    AGENCY_READ = "admin:agency:read"
    USER_CREATE = "admin:user:create"
    USER_UPDATE = "admin:user:update"
    TOKEN_MANAGE = "admin:token:manage"  # create and revoke other users' service tokens
    RESOLVE_RUN = "resolve:batch:run"
    RESOLVE_EXPLAIN = "resolve:pair:explain"
    JUDGEMENT_CREATE = "resolve:judgement:create"
    REVIEW_READ = "resolve:queue:read"
    ENTITY_EXPORT = "resolve:entity:export"
    AUDIT_READ = "audit:log:read"
    AUDIT_VERIFY = "audit:log:verify"
    INVESTIGATION_READ = "deconflict:investigation:read"
    INVESTIGATION_WRITE = "deconflict:investigation:write"  # register, update, add targets
    OPERATION_READ = "deconflict:operation:read"
    OPERATION_WRITE = "deconflict:operation:write"
    HIT_QUERY = "deconflict:hit:query"  # "is this identifier or person known?"
    ALERT_READ = "alerts:alert:read"
    ALERT_ACKNOWLEDGE = "alerts:alert:acknowledge"
    ALERT_RESOLVE = "alerts:alert:resolve"
    WEBHOOK_MANAGE = "alerts:webhook:manage"
    NETWORK_RUN = "network:graph:run"  # project the joint graph and map its networks
    NETWORK_READ = "network:graph:read"  # networks, their members and the edges in scope
    NETWORK_EXPORT = "network:graph:export"  # GraphML, GEXF, CSV, FtM lines
    RISK_RUN = "risk:assessment:run"  # assess every person, raise under-assessment alerts
    RISK_READ = "risk:assessment:read"  # a person's level, signals, declarations, decisions
    RISK_DECLARE = "risk:declaration:write"  # a service's own escort level, DPS, watch list
    RISK_DECIDE = "risk:decision:write"  # a reviewer's decision on an under-assessment
    RETENTION_RUN = "admin:retention:run"  # purge expired records and old audit rows
    RETENTION_REVIEW = "admin:retention:review"  # list and decide a service's due reviews
    HANDLING_REQUEST = "handling:request:create"  # ask to pass a record, or to use it in court
    HANDLING_DECIDE = "handling:request:decide"  # the owning service approves or refuses
    JUDICIAL_EXPORT = "case:record:judicial-export"  # an entity's records, for a court


class AuditAction(StrEnum):
    """What an audit row records. One member per kind of action."""

    LOGIN_SUCCESS = "auth:login:success"
    LOGIN_FAILURE = "auth:login:failure"
    LOGOUT = "auth:session:end"
    LOGIN_PASSWORD = "auth:login:password"  # the password was right; the second factor is due
    LOGIN_LOCKED = "auth:account:lock"  # too many failures: the account refuses logins
    LOGIN_THROTTLED = "auth:login:throttle"  # too many attempts from one address
    TOTP_ENROL = "auth:totp:enrol"  # a second factor enrolled
    LOGIN_OIDC = "auth:login:oidc"  # an identity provider vouched; the second factor is due
    OIDC_REFUSED = "auth:oidc:refuse"  # an OpenID Connect login refused, with the reason
    OIDC_LINK = "admin:oidc:link"  # an account linked to an identity provider's subject
    OIDC_UNLINK = "admin:oidc:unlink"
    TOTP_RESET = "admin:totp:reset"  # an administrator cleared an account's second factor
    USER_UNLOCK = "admin:user:unlock"
    USER_UPDATE = "admin:user:update"  # a setting of an account changed
    TOKEN_CREATE = "auth:token:create"
    TOKEN_REVOKE = "auth:token:revoke"
    TOKEN_LIST = "auth:token:list"
    TOKEN_REFUSED = "auth:token:refuse"  # an unknown, expired or revoked token was shown
    RECORD_SEARCH = "case:record:search"
    RECORD_READ = "case:record:read"
    RECORD_EXPORT = "case:record:export"  # the identities of every record in scope, at once
    RECORD_COUNT = "case:record:count"  # how many records in scope, per service and kind
    BATCH_START = "case:batch:start"
    BATCH_CHUNK = "case:batch:write"
    BATCH_END = "case:batch:end"
    CALLS_READ = "case:calls:read"  # the call edges of some numbers
    AGENCY_SYNC = "admin:agency:sync"
    USER_CREATE = "admin:user:create"
    USER_PASSWORD = "admin:user:password"
    AUDIT_VERIFY = "audit:log:verify"
    RESOLVE_READ = "resolve:batch:read"
    RESOLVE_RUN = "resolve:batch:run"
    RESOLVE_EXPLAIN = "resolve:pair:explain"
    JUDGEMENT_CREATE = "resolve:judgement:create"
    REVIEW_READ = "resolve:queue:read"
    ENTITY_EXPORT = "resolve:entity:export"
    ENTITY_READ = "resolve:entity:read"  # the entity of one record and its other records
    INVESTIGATION_READ = "deconflict:investigation:read"
    INVESTIGATION_WRITE = "deconflict:investigation:write"
    OPERATION_READ = "deconflict:operation:read"
    OPERATION_WRITE = "deconflict:operation:write"
    HIT_QUERY = "deconflict:hit:query"
    HIT_THROTTLED = "deconflict:hit:throttle"  # too many queries from one user
    DECONFLICT_CHECK = "deconflict:check:run"  # targets and operations checked for overlaps
    ALERT_RAISE = "alerts:alert:raise"
    ALERT_READ = "alerts:alert:read"
    ALERT_ACKNOWLEDGE = "alerts:alert:acknowledge"
    ALERT_RESOLVE = "alerts:alert:resolve"
    ALERT_ESCALATE = "alerts:alert:escalate"
    ALERT_DELIVER = "alerts:alert:deliver"  # a webhook delivery attempt
    WEBHOOK_MANAGE = "alerts:webhook:manage"
    NETWORK_RUN = "network:graph:run"
    NETWORK_READ = "network:graph:read"
    NETWORK_EXPORT = "network:graph:export"
    RISK_RUN = "risk:assessment:run"
    RISK_READ = "risk:assessment:read"
    RISK_DECLARE = "risk:declaration:write"
    RISK_DECIDE = "risk:decision:write"
    AUDIT_READ = "audit:log:read"  # a search of the audit log
    AUDIT_EXPORT = "audit:log:export"  # an export of a selection of the audit log
    AUDIT_PURGE = "audit:log:purge"  # rows older than their keeping period removed
    RETENTION_RUN = "retention:batch:run"  # one run of the retention rules
    RETENTION_PURGE = "retention:record:purge"  # one record and what derives from it
    RETENTION_REVIEW_DUE = "retention:review:create"  # a record put up for review
    RETENTION_REVIEW_READ = "retention:review:read"
    RETENTION_DECIDE = "retention:review:decide"  # keep until a date, or purge
    HANDLING_REQUEST = "handling:request:create"  # or granted at once when no code forbids
    HANDLING_DECIDE = "handling:request:decide"  # approved or refused by the owner
    HANDLING_WITHDRAW = "handling:request:withdraw"  # by its author, while pending
    HANDLING_READ = "handling:request:read"
    JUDICIAL_EXPORT = "case:record:judicial-export"


class Outcome(StrEnum):
    OK = "ok"
    DENIED = "denied"
    FAILED = "failed"


class NetworkRole(StrEnum):
    """The part a member plays in a trafficking network."""

    HEAD = "head"
    LIEUTENANT = "lieutenant"
    LOGISTICS = "logistics"
    RETAIL = "retail"
    FINANCE = "finance"
    ENFORCER = "enforcer"
    SUPPLIER = "supplier"


class InvestigationStatus(StrEnum):
    OPEN = "open"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class TargetKind(StrEnum):
    """What an investigation or operation aims at: a record, a resolved entity, or a bare
    identifier as the service knows it."""

    RECORD = "record"
    ENTITY = "entity"
    PHONE = "phone"
    PLATE = "plate"
    IBAN = "iban"
    DOCUMENT = "document"  # identity document number
    EMAIL = "email"
    PERSON = "person"  # a name with a date of birth


class TargetOwner(StrEnum):
    """What a target belongs to: one `targets` table serves both registers."""

    INVESTIGATION = "investigation"
    OPERATION = "operation"


class OperationKind(StrEnum):
    RAID = "raid"
    SURVEILLANCE = "surveillance"
    CONTROLLED_DELIVERY = "controlled_delivery"
    ARREST = "arrest"
    TRANSFER = "transfer"  # prison transfer
    EXTRACTION = "extraction"  # taken out of prison for a hearing or an act


class OperationStatus(StrEnum):
    PLANNED = "planned"  # the only status that is deconflicted
    CANCELLED = "cancelled"
    DONE = "done"


class AlertKind(StrEnum):
    TARGET_OVERLAP = "target_overlap"  # two investigations share a target
    OPERATION_CONFLICT = "operation_conflict"  # two operations must be deconflicted
    UNDER_ASSESSMENT = "under_assessment"  # a service's own view of a person is too low


class AlertSeverity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class AlertAction(StrEnum):
    """What an alert's append-only history records."""

    RAISED = "raised"
    UPDATED = "updated"  # the same alert raised again with more evidence
    ACKNOWLEDGED = "acknowledged"  # by one recipient
    ESCALATED = "escalated"  # a recipient let the deadline pass: the staff is told
    RESOLVED = "resolved"
    REOPENED = "reopened"


class AlertState(StrEnum):
    """Where an alert stands, for one recipient or (for the staff) overall. Derived from
    the alert's history, never stored."""

    NEW = "new"  # not acknowledged (by this recipient; overall: by some recipient)
    ACKNOWLEDGED = "acknowledged"  # by this recipient; overall: by every recipient
    RESOLVED = "resolved"


class AlertOutcome(StrEnum):
    """How a resolved deconfliction alert ended."""

    LEAD_DESIGNATED = "lead_designated"  # one service leads, the other stands back
    JOINT_OPERATION = "joint_operation"
    POSTPONED = "postponed"
    NO_CONFLICT = "no_conflict"


class ConflictKind(StrEnum):
    """Why two services' operations must be deconflicted."""

    PLACE_TIME = "place_time"  # the same place at overlapping times
    SURVEILLANCE = "surveillance"
    TRANSFER = "transfer"


class BatchStatus(StrEnum):
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"  # nothing usable in the input; nothing written


class HandlingKind(StrEnum):
    """What a handling request asks of the owning service."""

    DISSEMINATE = "disseminate"  # pass the record to another service (H2)
    JUDICIAL = "judicial"  # use the record before a court (H1)


class HandlingStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class Verdict(StrEnum):
    """A judgement on whether two records are the same real person or thing."""

    POSITIVE = "positive"
    NEGATIVE = "negative"
    UNSURE = "unsure"


# Dangerousness levels, in rising order ("unknown", no assessment, is apart).
DANGER_LEVELS = ("low", "moderate", "high", "critical")
