"""calls: call detail records aggregated into dated, weighted contact edges

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 00:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_batches",
        sa.Column("batch_id", sa.String(length=32), nullable=False),
        sa.Column("handling", sa.String(length=2), nullable=False),
        sa.Column("handling_condition", sa.Text(), nullable=True),
        sa.Column("protection", sa.String(length=2), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=2), nullable=False),
        sa.Column("columns", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_call_batches_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_call_batches")),
    )
    op.create_table(
        "call_edges",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("batch_id", sa.String(length=32), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("handling", sa.String(length=2), nullable=False),
        sa.Column("protection", sa.String(length=2), nullable=False),
        sa.Column("caller", sa.String(length=16), nullable=False),
        sa.Column("callee", sa.String(length=16), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.BigInteger(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("cells", sa.Integer(), nullable=True),
        # No foreign key on batch_id (see tables.py): checked per row, it doubled the
        # bulk load on PostgreSQL; the batch row is written in the edges' transaction.
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_edges")),
    )
    with op.batch_alter_table("call_edges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_edges_callee"), ["callee"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_edges_caller"), ["caller"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("call_edges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_edges_caller"))
        batch_op.drop_index(batch_op.f("ix_call_edges_callee"))

    op.drop_table("call_edges")
    op.drop_table("call_batches")
