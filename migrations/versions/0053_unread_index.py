"""The header's unread badge reads a partial index of unread notifications

Revision ID: 0053_unread_index
Revises: 0046_rights_gaps
Create Date: 2026-12-06 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0053_unread_index'
down_revision = '0046_rights_gaps'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_notifications_unread', 'notifications', ['user_id'], unique=False,
                    sqlite_where=sa.text('read_at IS NULL'),
                    postgresql_where=sa.text('read_at IS NULL'))


def downgrade():
    op.drop_index('ix_notifications_unread', table_name='notifications')
