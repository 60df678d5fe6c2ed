"""fact scope: where a fact was learned (a private chat, or one group) decides where it is recalled

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('facts') as batch:
        batch.add_column(sa.Column('scope', sa.String(length=300), nullable=False,
                                   server_default='private'))
    # Facts learned before scopes existed: a group conversation (chat id other than the user's
    # own id) scopes its facts to that group; the rest stay private. Telegram private chats have
    # the user's id as chat id; other platforms' DMs end up group-scoped (recalled less, never
    # leaked).
    op.execute(
        "UPDATE facts SET scope = (SELECT 'chat:' || c.platform || ':' || c.chat_id "
        "FROM messages m JOIN conversations c ON c.id = m.conversation_id "
        "WHERE m.id = facts.source_message_id) "
        "WHERE source_message_id IS NOT NULL AND EXISTS (SELECT 1 FROM messages m "
        "JOIN conversations c ON c.id = m.conversation_id WHERE m.id = facts.source_message_id "
        "AND c.chat_id <> c.scope_user_id)")


def downgrade() -> None:
    with op.batch_alter_table('facts') as batch:
        batch.drop_column('scope')
