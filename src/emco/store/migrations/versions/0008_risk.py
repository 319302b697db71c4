"""risk: signals, assessment runs, assessments, declared levels, reviewers' decisions

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "risk_signals",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=True),
        sa.Column("entity_id", sa.String(length=16), nullable=True),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("observed_on", sa.Date(), nullable=True),
        sa.Column("reliability", sa.String(length=1), nullable=False),
        sa.Column("credibility", sa.String(length=1), nullable=False),
        sa.Column("source_record_id", sa.BigInteger(), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_signals")),
    )
    op.create_index(op.f("ix_risk_signals_record_id"), "risk_signals", ["record_id"],
                    unique=False)
    op.create_index(op.f("ix_risk_signals_entity_id"), "risk_signals", ["entity_id"],
                    unique=False)
    op.create_table(
        "risk_runs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("catalogue_version", sa.String(length=32), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_runs")),
    )
    op.create_table(
        "assessments",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("run_id", BIG_ID, nullable=False),
        sa.Column("entity_id", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("parts", sa.Text(), nullable=False),
        sa.Column("catalogue_version", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["risk_runs.id"],
                                name=op.f("fk_assessments_run_id_risk_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
    )
    op.create_index(op.f("ix_assessments_entity_id_id"), "assessments", ["entity_id", "id"],
                    unique=False)
    op.create_index(op.f("ix_assessments_run_id"), "assessments", ["run_id"], unique=False)
    op.create_table(
        "declarations",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("record_id", BIG_ID, nullable=True),
        sa.Column("entity_id", sa.String(length=16), nullable=True),
        sa.Column("escort", sa.Integer(), nullable=True),
        sa.Column("dps", sa.Boolean(), nullable=True),
        sa.Column("watch", sa.Boolean(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_code"], ["agencies.code"],
                                name=op.f("fk_declarations_agency_code_agencies")),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"],
                                name=op.f("fk_declarations_record_id_records")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declarations")),
    )
    op.create_index(op.f("ix_declarations_record_id"), "declarations", ["record_id"],
                    unique=False)
    op.create_index(op.f("ix_declarations_entity_id"), "declarations", ["entity_id"],
                    unique=False)
    op.create_table(
        "risk_decisions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("entity_id", sa.String(length=16), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.String(length=8), nullable=False),
        sa.Column("motif", sa.Text(), nullable=False),
        sa.Column("alert_id", BIG_ID, nullable=True),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_code"], ["agencies.code"],
                                name=op.f("fk_risk_decisions_agency_code_agencies")),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"],
                                name=op.f("fk_risk_decisions_alert_id_alerts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_decisions")),
    )
    op.create_index(op.f("ix_risk_decisions_entity_id"), "risk_decisions", ["entity_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_risk_decisions_entity_id"), table_name="risk_decisions")
    op.drop_table("risk_decisions")
    op.drop_index(op.f("ix_declarations_entity_id"), table_name="declarations")
    op.drop_index(op.f("ix_declarations_record_id"), table_name="declarations")
    op.drop_table("declarations")
    op.drop_index(op.f("ix_assessments_run_id"), table_name="assessments")
    op.drop_index(op.f("ix_assessments_entity_id_id"), table_name="assessments")
    op.drop_table("assessments")
    op.drop_table("risk_runs")
    op.drop_index(op.f("ix_risk_signals_entity_id"), table_name="risk_signals")
    op.drop_index(op.f("ix_risk_signals_record_id"), table_name="risk_signals")
    op.drop_table("risk_signals")
