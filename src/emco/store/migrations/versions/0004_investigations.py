"""deconfliction: investigations, targets, their blocks and matches

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 21:22:13.578296
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "target_blocks",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column(
            "target_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.PrimaryKeyConstraint("kind", "key", "target_id", name=op.f("pk_target_blocks")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("target_blocks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_target_blocks_target_id"), ["target_id"], unique=False)

    op.create_table(
        "investigations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("contact_phone", sa.String(length=40), nullable=True),
        sa.Column("contact_email", sa.String(length=200), nullable=True),
        sa.Column("court", sa.String(length=200), nullable=True),
        sa.Column("prosecutor", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("protection", sa.String(length=2), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_code"], ["agencies.code"], name=op.f("fk_investigations_agency_code_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investigations")),
        sa.UniqueConstraint(
            "agency_code", "reference", name=op.f("uq_investigations_agency_code_reference")
        ),
    )
    op.create_table(
        "targets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("owner_type", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("key_kind", sa.String(length=16), nullable=True),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("record_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("entity_id", sa.String(length=16), nullable=True),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_by", sa.String(length=100), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_code"], ["agencies.code"], name=op.f("fk_targets_agency_code_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_targets_record_id_records")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_targets")),
    )
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_targets_entity_id"), ["entity_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_targets_key_kind_key"), ["key_kind", "key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_targets_owner_id_owner_type"), ["owner_id", "owner_type"], unique=False
        )

    op.create_table(
        "target_matches",
        sa.Column(
            "target_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "record_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("score", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_target_matches_record_id_records")
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["targets.id"], name=op.f("fk_target_matches_target_id_targets")
        ),
        sa.PrimaryKeyConstraint("target_id", "record_id", name=op.f("pk_target_matches")),
    )
    with op.batch_alter_table("target_matches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_target_matches_record_id"), ["record_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("target_matches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_target_matches_record_id"))

    op.drop_table("target_matches")
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_targets_owner_id_owner_type"))
        batch_op.drop_index(batch_op.f("ix_targets_key_kind_key"))
        batch_op.drop_index(batch_op.f("ix_targets_entity_id"))

    op.drop_table("targets")
    op.drop_table("investigations")
    with op.batch_alter_table("target_blocks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_target_blocks_target_id"))

    op.drop_table("target_blocks")
