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
