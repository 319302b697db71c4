"""identity: OpenID Connect subjects, room for encrypted TOTP secrets, handling requests by
requesting service

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 18:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("totp_secret", existing_type=sa.String(length=64),
                              type_=sa.String(length=255), existing_nullable=True)
        batch_op.add_column(sa.Column("oidc_issuer", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("oidc_subject", sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_users_oidc_issuer_oidc_subject"), ["oidc_issuer", "oidc_subject"])
    with op.batch_alter_table("handling_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handling_requests_for_agency_status"),
                              ["for_agency", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("handling_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handling_requests_for_agency_status"))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_oidc_issuer_oidc_subject"), type_="unique")
        batch_op.drop_column("oidc_subject")
        batch_op.drop_column("oidc_issuer")
        batch_op.alter_column("totp_secret", existing_type=sa.String(length=255),
                              type_=sa.String(length=64), existing_nullable=True)
