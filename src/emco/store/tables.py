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
    false,
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
    # Failed logins since the last success; the account refuses logins until locked_until.
    Column("failed_logins", Integer, nullable=False, default=0, server_default="0"),
    Column("locked_until", DateTime(timezone=True), nullable=True),
    # The TOTP second factor: the shared secret (base32), when enrolment was confirmed, and
    # the last time step accepted (a code is never accepted twice).
    # The secret is stored encrypted with the server key (access/secrets.py).
    Column("totp_secret", String(255), nullable=True),
    Column("totp_enrolled_at", DateTime(timezone=True), nullable=True),
    Column("totp_last_step", BigInteger, nullable=True),
    # Whether the account may hold more than one session at a time.
    Column("concurrent_sessions", Boolean, nullable=False, default=False,
           server_default=false()),
    # An account reached through an OpenID Connect provider: the issuer and its subject.
    Column("oidc_issuer", String(255), nullable=True),
    Column("oidc_subject", String(255), nullable=True),
    UniqueConstraint("oidc_issuer", "oidc_subject"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    # A password was given but the second factor not yet: the session opens nothing else.
    Column("pending", Boolean, nullable=False, default=False, server_default=false()),
)

# Service API tokens: only a hash is kept; each is scoped to some permissions of its user,
# expires, and can be revoked.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),  # shown in lists to tell tokens apart
    Column("name", String(100), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("scopes", Text, nullable=False),  # comma-separated Permission values
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
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

# --- Networks (emco.network) -------------------------------------------------------------
# Each mapping of the joint graph is a run. A network keeps its id from run to run (matched
# by the overlap of its members), so it keeps its name and its history; membership is kept
# per run, which is that history. The projected edges are derived data, rewritten by each
# run: one row per pair, kind, service and protection mention, so that a reader's scope
# filters them exactly as it filters records.
network_runs = Table(
    "network_runs",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("username", String(100), nullable=False),
    Column("nodes", Integer, nullable=False),
    Column("edges", Integer, nullable=False),
    Column("modularity", Float, nullable=False),
    Column("detail", Text, nullable=False),  # JSON: parameters, splits and merges
)

networks = Table(
    "networks",
    metadata,
    Column("id", String(16), primary_key=True),  # R0001…, kept across runs
    Column("name", String(200), nullable=False),
    Column("first_run_id", BigId, ForeignKey("network_runs.id"), nullable=False),
    Column("last_run_id", BigId, ForeignKey("network_runs.id"), nullable=False),
    Column("size", Integer, nullable=False),  # members in the last run it was found in
    Column("threat_score", Float, nullable=True),
    Column("threat_level", String(16), nullable=True),
    Column("detail", Text, nullable=False),  # JSON: threat attributes, key players, origin
)

network_members = Table(
    "network_members",
    metadata,
    Column("run_id", BigId, ForeignKey("network_runs.id"), primary_key=True,
           autoincrement=False),
    Column("entity_id", String(16), primary_key=True),
    Column("network_id", String(16), ForeignKey("networks.id"), nullable=False),
    Column("head_score", Float, nullable=False),
    Column("head_rank", Integer, nullable=False),  # within the network, 1 the likeliest head
    Column("role", String(16), nullable=False),
    Column("role_confidence", Float, nullable=False),
    Column("parts", Text, nullable=False),  # JSON: the head score's parts
    Index(None, "network_id", "run_id"),
    Index(None, "entity_id"),
)

network_edges = Table(
    "network_edges",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("source", String(16), nullable=False),
    Column("target", String(16), nullable=False),
    Column("kind", String(32), nullable=False),  # call, payment, family, shared_phone…
    Column("agency_code", String(16), nullable=False),
    Column("protection", String(2), nullable=False),
    Column("weight", Float, nullable=False),
    Column("count", Integer, nullable=False),  # the statements behind it
    Column("first_on", Date, nullable=True),
    Column("last_on", Date, nullable=True),
    Column("evidence", Text, nullable=False),  # JSON: the first record ids behind it
    Index(None, "source"),
    Index(None, "target"),
)

# --- call detail records (emco.network.calls) ----------------------------------------------

# What a batch of call detail records was read with, beside its `batches` row (which says
# who loaded which file when): the handling code and condition and the protection mention
# its edges carry, the time zone its times were read in, the region of numbers written
# without a country code, and which of the file's columns were used.
call_batches = Table(
    "call_batches",
    metadata,
    Column("batch_id", String(32), ForeignKey("batches.id"), primary_key=True),
    Column("handling", String(2), nullable=False),
    Column("handling_condition", Text, nullable=True),
    Column("protection", String(2), nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("region", String(2), nullable=False),
    Column("columns", Text, nullable=False),  # JSON: {"caller": "appelant", ...}
)

# Calls aggregated per direction and month: one row per (batch, caller, callee, month).
# Rows are written once, whole batches at a time, and never updated. The service and the
# handling code and protection of the batch are repeated on every row so that a reader's
# scope filters edges as it filters records, without a join; the batch's agency is
# checked through the batch. `batch_id` carries no foreign key, as `statements`: checking
# it on each of millions of rows of a bulk load costs PostgreSQL as much as the COPY, and
# the batch row is written by `emco.store.calls.write_batch` in the same transaction as
# its edges, the only writer of this table: the code holds that integrity.
call_edges = Table(
    "call_edges",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("batch_id", String(32), nullable=False),
    Column("agency_code", String(16), nullable=False),
    Column("handling", String(2), nullable=False),
    Column("protection", String(2), nullable=False),
    Column("caller", String(16), nullable=False),  # E.164: "+" and at most 15 digits
    Column("callee", String(16), nullable=False),
    Column("month", Date, nullable=False),  # the first day of the month (local time)
    Column("calls", Integer, nullable=False),
    Column("seconds", BigInteger, nullable=False),
    Column("first_at", DateTime(timezone=True), nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False),
    Column("days", Integer, nullable=False),  # distinct days with a call (local time)
    Column("cells", Integer, nullable=True),  # distinct cells; NULL when the file has none
    Index(None, "caller"),
    Index(None, "callee"),
)

# --- dangerousness assessment (emco.risk) --------------------------------------------------

# Signals derived from the records (incidents reported about a person record) and from the
# latest network mapping (a role, about an entity). Derived data: replaced whole by each
# assessment run. A signal about a person record keeps `record_id` and no entity, so it
# follows the record into whatever entity resolution puts it in (or none yet: kept).
risk_signals = Table(
    "risk_signals",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("record_id", BigInteger, nullable=True),  # the person record it is about
    Column("entity_id", String(16), nullable=True),  # for a network role, the entity
    Column("type", String(32), nullable=False),  # a type of the signal catalogue
    Column("agency_code", String(16), nullable=False),  # the service that reports it
    Column("observed_on", Date, nullable=True),
    Column("reliability", String(1), nullable=False),
    Column("credibility", String(1), nullable=False),
    Column("source_record_id", BigInteger, nullable=True),  # the record that reports it
    Column("origin", String(16), nullable=False),  # record, network
    Column("detail", Text, nullable=False),  # the keyword, or the role and network
    Index(None, "record_id"),
    Index(None, "entity_id"),
)

risk_runs = Table(
    "risk_runs",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("username", String(100), nullable=False),
    Column("catalogue_version", String(32), nullable=False),
    Column("persons", Integer, nullable=False),  # assessed (with at least one signal)
    Column("detail", Text, nullable=False),  # JSON: counts by level, alerts raised
)

# Append-only: one row per person per run; what changed is the difference with the
# person's previous row.
assessments = Table(
    "assessments",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("run_id", BigId, ForeignKey("risk_runs.id"), nullable=False),
    Column("entity_id", String(16), nullable=False),
    Column("score", Float, nullable=False),
    Column("level", String(16), nullable=False),
    Column("criteria", Text, nullable=False),  # JSON list of special-detainee criteria met
    Column("parts", Text, nullable=False),  # JSON: every contributing signal, with its share
    Column("catalogue_version", String(32), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index(None, "entity_id", "id"),
    Index(None, "run_id"),
)

# A service's own handling of a person, append-only (the latest row of a service about a
# person stands); the platform never writes one itself. About a record of the service's
# own (it joins the person when resolution does) or a resolved entity.
declarations = Table(
    "declarations",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("agency_code", String(16), ForeignKey("agencies.code"), nullable=False),
    Column("record_id", BigId, ForeignKey("records.id"), nullable=True),
    Column("entity_id", String(16), nullable=True),
    Column("escort", Integer, nullable=True),  # escort level 1-4
    Column("dps", Boolean, nullable=True),  # special-detainee status (DPS)
    Column("watch", Boolean, nullable=True),  # on the service's watch list
    Column("note", Text, nullable=True),
    Column("author", String(100), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index(None, "record_id"),
    Index(None, "entity_id"),
)

# A reviewer's decision on an under-assessment (raise the declared level, or keep it),
# with its motif: append-only, audited.
risk_decisions = Table(
    "risk_decisions",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("entity_id", String(16), nullable=False),
    Column("agency_code", String(16), ForeignKey("agencies.code"), nullable=False),
    Column("decision", String(8), nullable=False),  # raise, keep
    Column("motif", Text, nullable=False),
    Column("alert_id", BigId, ForeignKey("alerts.id"), nullable=True),
    Column("author", String(100), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index(None, "entity_id"),
)

# --- handling codes, retention ------------------------------------------------------------

# A request for the owning service's permission to use one of its records beyond what the
# record's handling code allows: to pass an H2 record to another service (disseminate), or
# to put an H1 record in a judicial export (judicial). The owner approves or refuses; every
# step is audited.
handling_requests = Table(
    "handling_requests",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("record_id", BigId, ForeignKey("records.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # disseminate, judicial
    Column("owner_agency", String(16), ForeignKey("agencies.code"), nullable=False),
    Column("for_agency", String(16), ForeignKey("agencies.code"), nullable=False),
    Column("case_ref", String(100), nullable=True),
    Column("motif", Text, nullable=False),
    Column("requested_by", String(100), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),  # pending, approved, refused, withdrawn
    Column("decided_by", String(100), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("decision_note", Text, nullable=True),
    Index(None, "owner_agency", "status"),
    Index(None, "for_agency", "status"),
)

# Records past their retention date that the law asks to review rather than purge: the
# review is due, then decided (keep until a new date, or purge).
retention_reviews = Table(
    "retention_reviews",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("record_id", BigId, ForeignKey("records.id"), nullable=False, index=True),
    Column("due_on", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decision", String(8), nullable=True),  # keep, purge
    Column("keep_until", Date, nullable=True),
    Column("decided_by", String(100), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
)

# Each purge of audit rows older than their keeping period: the chain verifies from the
# hash of the last row purged.
audit_purges = Table(
    "audit_purges",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("through_seq", BigInteger, nullable=False),
    Column("through_hash", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("username", String(100), nullable=False),
)
