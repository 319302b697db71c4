"""resolution: judgements, entities, features, keys, models

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 18:03:10.419772
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "resolve_keys",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column(
            "record_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.PrimaryKeyConstraint("kind", "key", "record_id", name=op.f("pk_resolve_keys")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("resolve_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resolve_keys_record_id"), ["record_id"], unique=False)

    op.create_table(
        "resolve_models",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("term_frequencies", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_resolve_models")),
    )
    op.create_table(
        "judgements",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("left_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("right_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["left_id"], ["records.id"], name=op.f("fk_judgements_left_id_records")
        ),
        sa.ForeignKeyConstraint(
            ["right_id"], ["records.id"], name=op.f("fk_judgements_right_id_records")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_judgements")),
    )
    with op.batch_alter_table("judgements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_judgements_left_id_right_id"), ["left_id", "right_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_judgements_right_id"), ["right_id"], unique=False)

    op.create_table(
        "record_entities",
        sa.Column(
            "record_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("entity_id", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_record_entities_record_id_records")
        ),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_record_entities")),
    )
    with op.batch_alter_table("record_entities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_record_entities_entity_id"), ["entity_id"], unique=False
        )

    op.create_table(
        "resolve_features",
        sa.Column(
            "record_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("content_hash", sa.String(length=48), nullable=False),
        sa.Column("features", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_resolve_features_record_id_records")
        ),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_resolve_features")),
    )


def downgrade() -> None:
    op.drop_table("resolve_features")
    with op.batch_alter_table("record_entities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_entities_entity_id"))

    op.drop_table("record_entities")
    with op.batch_alter_table("judgements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_judgements_right_id"))
        batch_op.drop_index(batch_op.f("ix_judgements_left_id_right_id"))

    op.drop_table("judgements")
    op.drop_table("resolve_models")
    with op.batch_alter_table("resolve_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resolve_keys_record_id"))

    op.drop_table("resolve_keys")
