"""Kept supports per day (idea_support_days), filled from the supports and referral events.

Revision ID: 0050_insight_gaps
Revises: 0049_polish_feedback
"""
import sqlalchemy as sa
from alembic import op

revision = '0050_insight_gaps'
down_revision = '0049_polish_feedback'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'idea_support_days',
        sa.Column('idea_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('supports', sa.Integer(), server_default='0', nullable=False),
        sa.Column('referred', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['idea_id'], ['ideas.id'],
                                name=op.f('fk_idea_support_days_idea_id_ideas'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('idea_id', 'day', name=op.f('pk_idea_support_days')),
    )
    postgresql = op.get_bind().dialect.name == 'postgresql'
    day = "date(timezone('UTC', s.created_at))" if postgresql else "date(s.created_at)"
    op.execute(f"""
        INSERT INTO idea_support_days (idea_id, day, supports, referred)
        SELECT s.idea_id, {day}, count(*),
               sum(CASE WHEN EXISTS (SELECT 1 FROM referral_events r
                                     WHERE r.user_id = s.user_id AND r.idea_id = s.idea_id
                                       AND r.kind = 'support') THEN 1 ELSE 0 END)
        FROM supports s GROUP BY s.idea_id, {day}
    """)


def downgrade():
    op.drop_table('idea_support_days')
