"""support desk: escalation handoff fields, knowledge-base models

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('first_reply_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('followups', sa.Integer(), nullable=False,
                                      server_default='0'))
    op.create_table('faq_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kb_revision', sa.String(length=200), nullable=False),
    sa.Column('encoder', sa.String(length=200), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('threshold', sa.Float(), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=True),
    sa.Column('params', sa.LargeBinary(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_models'))
    )


def downgrade() -> None:
    op.drop_table('faq_models')
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.drop_column('followups')
        batch_op.drop_column('first_reply_at')
        batch_op.drop_column('notified_at')
        batch_op.drop_column('reason')
