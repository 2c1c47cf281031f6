"""analytics: indexes for the KPI dashboard's period aggregates (supports and comments by time
and member, ideas by submission time).

Revision ID: 0040_analytics
Revises: 0034_rights
"""
from alembic import op

revision = '0040_analytics'
down_revision = '0034_rights'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_supports_created_user', 'supports', ['created_at', 'user_id'])
    op.create_index('ix_comments_created_author', 'comments', ['created_at', 'author_id'])
    op.create_index('ix_ideas_submitted_at', 'ideas', ['submitted_at'])


def downgrade():
    op.drop_index('ix_ideas_submitted_at', table_name='ideas')
    op.drop_index('ix_comments_created_author', table_name='comments')
    op.drop_index('ix_supports_created_user', table_name='supports')
