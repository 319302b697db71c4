"""networks: runs of the network mapping, networks kept across runs, members, edges

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "network_runs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("nodes", sa.Integer(), nullable=False),
        sa.Column("edges", sa.Integer(), nullable=False),
        sa.Column("modularity", sa.Float(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_runs")),
    )
    op.create_table(
        "networks",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("first_run_id", BIG_ID, nullable=False),
        sa.Column("last_run_id", BIG_ID, nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("threat_score", sa.Float(), nullable=True),
        sa.Column("threat_level", sa.String(length=16), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_run_id"],
            ["network_runs.id"],
            name=op.f("fk_networks_first_run_id_network_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["last_run_id"],
            ["network_runs.id"],
            name=op.f("fk_networks_last_run_id_network_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_networks")),
    )
    op.create_table(
        "network_members",
        sa.Column("run_id", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("entity_id", sa.String(length=16), nullable=False),
        sa.Column("network_id", sa.String(length=16), nullable=False),
        sa.Column("head_score", sa.Float(), nullable=False),
        sa.Column("head_rank", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("role_confidence", sa.Float(), nullable=False),
        sa.Column("parts", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"], ["networks.id"], name=op.f("fk_network_members_network_id_networks")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["network_runs.id"], name=op.f("fk_network_members_run_id_network_runs")
        ),
        sa.PrimaryKeyConstraint("run_id", "entity_id", name=op.f("pk_network_members")),
    )
    op.create_index(
        op.f("ix_network_members_network_id_run_id"),
        "network_members",
        ["network_id", "run_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_network_members_entity_id"), "network_members", ["entity_id"], unique=False
    )
    op.create_table(
        "network_edges",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("protection", sa.String(length=2), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_on", sa.Date(), nullable=True),
        sa.Column("last_on", sa.Date(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_edges")),
    )
    op.create_index(op.f("ix_network_edges_source"), "network_edges", ["source"], unique=False)
    op.create_index(op.f("ix_network_edges_target"), "network_edges", ["target"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_network_edges_target"), table_name="network_edges")
    op.drop_index(op.f("ix_network_edges_source"), table_name="network_edges")
    op.drop_table("network_edges")
    op.drop_index(op.f("ix_network_members_entity_id"), table_name="network_members")
    op.drop_index(op.f("ix_network_members_network_id_run_id"), table_name="network_members")
    op.drop_table("network_members")
    op.drop_table("networks")
    op.drop_table("network_runs")
