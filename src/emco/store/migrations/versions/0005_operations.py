"""operations: operations and the conflicts found between them

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 21:23:47.232520
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "operations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "investigation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("radius_m", sa.Integer(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_class", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("protection", sa.String(length=2), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_phone", sa.String(length=40), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_code"], ["agencies.code"], name=op.f("fk_operations_agency_code_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_operations_investigation_id_investigations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operations")),
        sa.UniqueConstraint(
            "agency_code", "reference", name=op.f("uq_operations_agency_code_reference")
        ),
    )
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_operations_search",
            ["status", "duration_class", "starts_at", "latitude", "longitude", "radius_m"],
            unique=False,
        )

    op.create_table(
        "operation_conflicts",
        sa.Column(
            "left_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "right_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("kinds", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("alert_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_operation_conflicts_alert_id_alerts")
        ),
        sa.ForeignKeyConstraint(
            ["left_id"], ["operations.id"], name=op.f("fk_operation_conflicts_left_id_operations")
        ),
        sa.ForeignKeyConstraint(
            ["right_id"], ["operations.id"], name=op.f("fk_operation_conflicts_right_id_operations")
        ),
        sa.PrimaryKeyConstraint("left_id", "right_id", name=op.f("pk_operation_conflicts")),
    )
    with op.batch_alter_table("operation_conflicts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operation_conflicts_right_id"), ["right_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("operation_conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operation_conflicts_right_id"))

    op.drop_table("operation_conflicts")
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.drop_index("ix_operations_search")

    op.drop_table("operations")
