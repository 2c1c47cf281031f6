"""ideas.comment_count (the discussion heading, kept, backfilled); open-report indexes

Revision ID: 0051_comment_counter
Revises: 0050_insight_gaps
Create Date: 2026-12-06 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0051_comment_counter'
down_revision = '0050_insight_gaps'
branch_labels = None
depends_on = None


# Every comment, reply and update that is neither deleted nor hidden, counted once.
BACKFILL = ("UPDATE ideas SET comment_count = (SELECT count(*) FROM comments "
            "WHERE comments.idea_id = ideas.id AND comments.deleted_at IS NULL "
            "AND comments.hidden = false) "
            "WHERE EXISTS (SELECT 1 FROM comments WHERE comments.idea_id = ideas.id)")


def upgrade():
    with op.batch_alter_table('ideas', schema=None) as batch_op:
        batch_op.add_column(sa.Column('comment_count', sa.Integer(), server_default='0',
                                      nullable=False))
    op.execute(BACKFILL)
    # The moderation link's count: open reports only.
    op.create_index('ix_reports_open', 'reports', ['comment_id'], unique=False,
                    postgresql_where=sa.text('resolved_at IS NULL'),
                    sqlite_where=sa.text('resolved_at IS NULL'))
    op.create_index('ix_forum_reports_open', 'forum_reports', ['kind', 'target_id'], unique=False,
                    postgresql_where=sa.text('resolved_at IS NULL'),
                    sqlite_where=sa.text('resolved_at IS NULL'))


def downgrade():
    op.drop_index('ix_forum_reports_open', table_name='forum_reports')
    op.drop_index('ix_reports_open', table_name='reports')
    with op.batch_alter_table('ideas', schema=None) as batch_op:
        batch_op.drop_column('comment_count')
