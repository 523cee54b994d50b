"""duplicate flag per document, thumbnail and audit indexes

The reviewers' possible-duplicate flag moves from the claim row (written on other claims'
rows by every upload, a deadlock between uploads and removals on PostgreSQL) to each
document row (`shared`: another filed claim holds the same file), kept under the digest's
content lock. Approvals that paid nothing lose their stale payment due date (no payment
clock runs for them any more).

Revision ID: 3f7f9d43d11c
Revises: a2a66c8e317a
Create Date: 2026-12-03 11:50:12.720178+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f7f9d43d11c"
down_revision: str | None = "a2a66c8e317a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHARED = """
UPDATE claim_documents SET shared = EXISTS (
    SELECT 1 FROM claim_documents AS other JOIN claims ON claims.id = other.claim_id
    WHERE other.sha256 = claim_documents.sha256
      AND other.claim_id <> claim_documents.claim_id
      AND claims.submitted_at IS NOT NULL
)
"""

FLAGGED = """
UPDATE claims SET duplicate_flag = EXISTS (
    SELECT 1 FROM claim_documents WHERE claim_documents.claim_id = claims.id
      AND claim_documents.shared
)
"""


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_claim_at", ["claim_id", "at"], unique=False)

    with op.batch_alter_table("claim_documents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shared", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(
            "ix_claim_documents_shared_claim", ["shared", "claim_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_claim_documents_thumbnail_sha256"), ["thumbnail_sha256"], unique=False
        )
    op.execute(SHARED)

    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_column("duplicate_flag")
    op.execute("UPDATE claims SET sla_due_at = NULL WHERE status = 'approved' AND payout_fen = 0")


def downgrade() -> None:
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("duplicate_flag", sa.BOOLEAN(), nullable=False, server_default=sa.false())
        )
    op.execute(FLAGGED)
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.alter_column("duplicate_flag", server_default=None)

    with op.batch_alter_table("claim_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_documents_thumbnail_sha256"))
        batch_op.drop_index("ix_claim_documents_shared_claim")
        batch_op.drop_column("shared")

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_claim_at")
