"""The tables of the store, as SQLAlchemy Core metadata.

Migrations under `store/migrations/` must build exactly this schema; a test compares them.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# SQLite only auto-increments an INTEGER PRIMARY KEY, not a BIGINT one.
BigId = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

agencies = Table(
    "agencies",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("ministry", String(100), nullable=False),
    Column("contact_name", String(200), nullable=False),
    Column("contact_email", String(200), nullable=False),
    Column("contact_phone", String(40), nullable=False),
    Column("is_staff", Boolean, nullable=False, default=False),
    Column("active", Boolean, nullable=False, default=True),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("agency_code", String(16), ForeignKey("agencies.code"), nullable=False),
    Column("roles", String(200), nullable=False),  # comma-separated Role values
    Column("clearance", String(2), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("locale", String(8), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=True),
)

batches = Table(
    "batches",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("agency_code", String(16), ForeignKey("agencies.code"), nullable=False),
    Column("username", String(100), nullable=False),
    Column("filename", Text, nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("format", String(16), nullable=False),
    Column("mapping_sha256", String(64), nullable=True),
    Column("status", String(16), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("accepted", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
    Column("created", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("quarantine_path", Text, nullable=True),
)

records = Table(
    "records",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("agency_code", String(16), ForeignKey("agencies.code"), nullable=False),
    Column("source_id", String(200), nullable=False),
    Column("schema", String(64), nullable=False),
    Column("caption", Text, nullable=False),
    Column("handling", String(2), nullable=False),
    Column("handling_condition", Text, nullable=True),
    Column("reliability", String(1), nullable=False),
    Column("credibility", String(1), nullable=False),
    Column("protection", String(2), nullable=False),
    Column("category", String(16), nullable=True),
    Column("observed_on", Date, nullable=True),
    Column("retention_given", Date, nullable=True),  # as the service set it, if it did
    Column("retain_until", Date, nullable=False),  # that, or the default rule
    Column("batch_id", String(32), ForeignKey("batches.id"), nullable=False),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
    Column("content_hash", String(32), nullable=False),
    UniqueConstraint("agency_code", "source_id"),
)

# One row per property value, keyed by record and position (so a record's facts sit
# together, and one index serves both). Rows are never updated but to retire them: a
# record submitted again with other content retires its statements (retired_batch_id)
# and asserts new ones after them.
statements = Table(
    "statements",
    metadata,
    Column("record_id", BigId, ForeignKey("records.id"), primary_key=True,
           autoincrement=False),
    Column("n", Integer, primary_key=True, autoincrement=False),
    Column("prop", String(64), nullable=False),
    Column("prop_type", String(16), nullable=False),
    Column("value", Text, nullable=False),
    Column("original_value", Text, nullable=False),
    # Batch columns carry no foreign key: checking one per row halves bulk loading on
    # PostgreSQL, and only the ingestion pipeline writes them.
    Column("batch_id", String(32), nullable=False),
    Column("retired_batch_id", String(32), nullable=True),
    sqlite_with_rowid=False,
)

# Normalised search and matching keys of the current statements: folded name tokens and
# identifiers. Derived data, rebuilt with the statements of a record (hence no foreign
# key to check on every row of a bulk load).
record_keys = Table(
    "record_keys",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("record_id", BigId, primary_key=True),
    Index(None, "record_id"),
    sqlite_with_rowid=False,
)

# Append-only, each row chained to the previous one by SHA-256. `audit_head` holds the
# last sequence number and hash; writers lock it to keep the chain a single line.
audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("username", String(100), nullable=False),
    Column("agency_code", String(16), nullable=False),
    Column("roles", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("objects", Text, nullable=False),  # JSON list of "kind:id" references
    Column("motif", Text, nullable=True),
    Column("case_ref", String(100), nullable=True),
    Column("query_hash", String(64), nullable=True),
    Column("result_count", Integer, nullable=True),
    Column("outcome", String(16), nullable=False),
    Column("detail", Text, nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index(None, "at"),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

# --- resolution -----------------------------------------------------------------------------

# Every decision on a pair of records, never updated but to be superseded (soft delete):
# the model's at each run, an identifier rule's, an operator's. Clusters are computed from
# the current rows; an operator's row always wins over the model's.
judgements = Table(
    "judgements",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("left_id", BigId, ForeignKey("records.id"), nullable=False),
    Column("right_id", BigId, ForeignKey("records.id"), nullable=False),  # left < right
    Column("verdict", String(16), nullable=False),  # positive, negative, unsure
    Column("score", Float, nullable=True),  # the model's match probability
    Column("author", String(100), nullable=False),  # model:N, rule:NAME or a username
    Column("evidence", Text, nullable=True),  # JSON: the score's parts, or the reason
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("superseded_at", DateTime(timezone=True), nullable=True),
    Index(None, "left_id", "right_id"),
    Index(None, "right_id"),
)

# The resolved entity of every record: derived from the judgements, kept so that entity
# ids stay stable from one resolution to the next.
record_entities = Table(
    "record_entities",
    metadata,
    Column("record_id", BigId, ForeignKey("records.id"), primary_key=True,
           autoincrement=False),
    Column("entity_id", String(16), nullable=False),
    Index(None, "entity_id"),
)

# What the resolver compares, per record, and the keys that find a record's candidates.
resolve_features = Table(
    "resolve_features",
    metadata,
    Column("record_id", BigId, ForeignKey("records.id"), primary_key=True,
           autoincrement=False),
    Column("kind", String(16), nullable=False),  # person, company, vehicle, account
    # the record's, then ":" and the features version
    Column("content_hash", String(48), nullable=False),
    Column("features", Text, nullable=False),  # JSON
)

resolve_keys = Table(
    "resolve_keys",
    metadata,
    Column("kind", String(8), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("record_id", BigId, primary_key=True),
    Index(None, "record_id"),
    sqlite_with_rowid=False,
)

# Trained models, versioned: Splink's JSON settings with their m and u probabilities,
# and the term frequencies the real-time matcher needs.
resolve_models = Table(
    "resolve_models",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("records", Integer, nullable=False),
    Column("settings", Text, nullable=False),
    Column("term_frequencies", Text, nullable=False),
)

# --- alerts ---------------------------------------------------------------------------------

# One alert per (kind, key) for ever: raising the same key again updates or reopens it. The
# row holds the alert's current evidence (title, severity, the staff's full view); its state
# (new, acknowledged, resolved) is a pure function of `alert_events`.
alerts = Table(
    "alerts",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("key", String(200), nullable=False),  # the raiser's dedupe key
    Column("severity", String(16), nullable=False),
    Column("title", Text, nullable=False),
    Column("staff_view", Text, nullable=False),  # JSON: the whole picture, for the staff
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("kind", "key"),
)

# Who is told, and what each may learn: a recipient only ever sees its own disclosure.
alert_recipients = Table(
    "alert_recipients",
    metadata,
    Column("alert_id", BigId, ForeignKey("alerts.id"), primary_key=True, autoincrement=False),
    Column("agency_code", String(16), ForeignKey("agencies.code"), primary_key=True),
    Column("disclosure", Text, nullable=False),  # JSON
    Column("deadline", DateTime(timezone=True), nullable=False),  # to acknowledge by
    Column("added_at", DateTime(timezone=True), nullable=False),
    Index(None, "agency_code"),
)

# The alert's history, append-only: raised, updated, acknowledged (per recipient),
# escalated (per late recipient), resolved (with its outcome), reopened.
alert_events = Table(
    "alert_events",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("alert_id", BigId, ForeignKey("alerts.id"), nullable=False),
    Column("agency_code", String(16), nullable=True),  # the recipient concerned, if one
    Column("action", String(16), nullable=False),
    Column("outcome", String(32), nullable=True),
    Column("lead_agency", String(16), nullable=True),
    Column("author", String(100), nullable=False),
    Column("note", Text, nullable=True),
    Column("detail", Text, nullable=True),  # JSON: what changed (staff only)
    Column("at", DateTime(timezone=True), nullable=False),
    Index(None, "alert_id"),
)

# One endpoint per service. The secret is shared with the service (HMAC signatures need
# it in clear on both sides).
webhooks = Table(
    "webhooks",
    metadata,
    Column("agency_code", String(16), ForeignKey("agencies.code"), primary_key=True),
    Column("url", Text, nullable=False),
    Column("secret", Text, nullable=False),
    Column("updated_by", String(100), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The webhook outbox: queued in the raiser's transaction, sent by the worker. The body is
# fixed when queued, so that every retry sends (and signs) the same bytes.
alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("alert_id", BigId, ForeignKey("alerts.id"), nullable=False),
    Column("agency_code", String(16), ForeignKey("agencies.code"), nullable=False),
    Column("event", String(16), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),  # pending, sent, failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Index(None, "status", "next_attempt_at"),
    Index(None, "alert_id"),
)

# --- deconfliction --------------------------------------------------------------------------

# A service's case, as its liaison registers it. A service sees its own; the staff's
# operators see all; DR ones need DR clearance (the record scope applies to them too).
investigations = Table(
    "investigations",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("agency_code", String(16), ForeignKey("agencies.code"), nullable=False),
    Column("reference", String(100), nullable=False),  # the service's own case number
    Column("title", Text, nullable=False),
    Column("contact_name", String(200), nullable=False),  # the lead investigator
    Column("contact_phone", String(40), nullable=True),
    Column("contact_email", String(200), nullable=True),
    Column("court", String(200), nullable=True),
    Column("prosecutor", String(200), nullable=True),
    Column("status", String(16), nullable=False),  # open, suspended, closed
    Column("protection", String(2), nullable=False),
    Column("opened_on", Date, nullable=True),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("agency_code", "reference"),
)

# What an investigation (or an operation) aims at: a record, a resolved entity, or a bare
# identifier, kept as the service gave it (`value`) beside its normalised key. `agency_code`
# is the owner's service, so that overlaps and hits need not join every owner's table.
# Removal is soft: a target once registered stays in the history of its investigation.
targets = Table(
    "targets",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("owner_type", String(16), nullable=False),  # investigation, operation
    Column("owner_id", BigId, nullable=False),
    Column("agency_code", String(16), ForeignKey("agencies.code"), nullable=False),
    Column("kind", String(16), nullable=False),  # TargetKind
    Column("value", Text, nullable=False),  # as given (JSON for a person)
    # the normalised key, in the vocabulary of record_keys (phone, iban, plate, id, email),
    # or "person" (folded name words | birth date); none for a record or an entity
    Column("key_kind", String(16), nullable=True),
    Column("key", String(200), nullable=True),
    Column("record_id", BigId, ForeignKey("records.id"), nullable=True),
    Column("entity_id", String(16), nullable=True),
    Column("added_by", String(100), nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("removed_by", String(100), nullable=True),
    Column("removed_at", DateTime(timezone=True), nullable=True),
    # The owner's id first: with the type first, SQLite (which keeps no statistics here)
    # took `owner_type = ?`, true of nearly every row, for a selective lookup.
    Index(None, "owner_id", "owner_type"),
    Index(None, "key_kind", "key"),
    Index(None, "entity_id"),
)

# The resolution blocking keys of person targets (as `resolve_keys` holds records'), so
# that an arriving record finds the person targets it may be without scoring them all.
target_blocks = Table(
    "target_blocks",
    metadata,
    Column("kind", String(8), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("target_id", BigId, primary_key=True),
    Index(None, "target_id"),
    sqlite_with_rowid=False,
)

# The records a target designates beyond its key: a person target's matches (scored by
# the resolution model, or exact without one), a record target's record, an entity
# target's records when it was registered. Their entities are read at check time, so a
# merge or split of entities needs no rewrite here.
target_matches = Table(
    "target_matches",
    metadata,
    Column("target_id", BigId, ForeignKey("targets.id"), primary_key=True,
           autoincrement=False),
    Column("record_id", BigId, ForeignKey("records.id"), primary_key=True,
           autoincrement=False),
    Column("score", Float, nullable=True),  # the model's match probability, if scored
    Index(None, "record_id"),
)

# --- operations -----------------------------------------------------------------------------

# A service's planned operation: a place (a disc) and a time window. Its targets are rows of
# `targets` with owner_type "operation". `duration_class` is derived from the window (see
# `emco.deconflict.spatial.duration_class`): with it, the operations whose windows meet a
# given one are found by one range of start times per class, through the index below.
operations = Table(
    "operations",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("agency_code", String(16), ForeignKey("agencies.code"), nullable=False),
    Column("reference", String(100), nullable=False),  # the service's own reference
    Column("kind", String(32), nullable=False),  # OperationKind
    Column("investigation_id", BigId, ForeignKey("investigations.id"), nullable=True),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("radius_m", Integer, nullable=False),
    Column("address", Text, nullable=True),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("duration_class", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # planned, cancelled, done
    Column("protection", String(2), nullable=False),
    Column("contact_name", String(200), nullable=True),  # else the service's contact point
    Column("contact_phone", String(40), nullable=True),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("agency_code", "reference"),
    # The conflict search: planned operations of one duration class by start time, with
    # the place and radius in the index so that the box test needs no table read.
    Index("ix_operations_search", "status", "duration_class", "starts_at", "latitude",
          "longitude", "radius_m"),
)

# The conflicts that stand between two operations (left_id < right_id), as the last check
# found them: derived data, rewritten by each check of either operation. The alert raised
# for the pair keeps the history.
operation_conflicts = Table(
    "operation_conflicts",
    metadata,
    Column("left_id", BigId, ForeignKey("operations.id"), primary_key=True,
           autoincrement=False),
    Column("right_id", BigId, ForeignKey("operations.id"), primary_key=True,
           autoincrement=False),
    Column("kinds", String(64), nullable=False),  # ConflictKind values, comma-separated
    Column("detail", Text, nullable=False),  # JSON: what the staff sees of the conflict
    Column("alert_id", BigId, ForeignKey("alerts.id"), nullable=True),
    Column("found_at", DateTime(timezone=True), nullable=False),
    Column("checked_at", DateTime(timezone=True), nullable=False),
    Index(None, "right_id"),
)
