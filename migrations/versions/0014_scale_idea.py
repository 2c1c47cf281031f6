"""scale-idea: exact idea counters off the ideas row, kept support evidence, precomputed
"For you", notification fan-outs

Revision ID: 0014_scale_idea
Revises: 0013_community
Create Date: 2026-12-03 07:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_scale_idea'
down_revision = '0013_community'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'idea_counters',
        sa.Column('idea_id', sa.Integer(), nullable=False),
        sa.Column('support_count', sa.Integer(), nullable=False),
        sa.Column('trending_score', sa.Integer(), nullable=False),
        sa.Column('changes', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['idea_id'], ['ideas.id'],
                                name=op.f('fk_idea_counters_idea_id_ideas'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('idea_id', name=op.f('pk_idea_counters')),
    )
    op.create_table(
        'support_evidence',
        sa.Column('idea_id', sa.Integer(), nullable=False),
        sa.Column('changes', sa.Integer(), nullable=False),
        sa.Column('summary', sa.JSON(), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['idea_id'], ['ideas.id'],
                                name=op.f('fk_support_evidence_idea_id_ideas'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('idea_id', name=op.f('pk_support_evidence')),
    )
    op.create_table(
        'recommendations',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('idea_id', sa.Integer(), nullable=False),
        sa.Column('reason_kind', sa.String(length=16), nullable=False),
        sa.Column('reason_subject', sa.String(length=200), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_recommendations_user_id_users'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['idea_id'], ['ideas.id'],
                                name=op.f('fk_recommendations_idea_id_ideas'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'position', name=op.f('pk_recommendations')),
    )
    with op.batch_alter_table('recommendations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recommendations_idea_id'), ['idea_id'], unique=False)
    op.create_table(
        'notification_fanouts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('idea_id', sa.Integer(), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('url', sa.String(length=300), nullable=False),
        sa.Column('audience', sa.String(length=24), nullable=False),
        sa.Column('after_user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['idea_id'], ['ideas.id'],
                                name=op.f('fk_notification_fanouts_idea_id_ideas'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_fanouts')),
    )
    with op.batch_alter_table('notification_fanouts', schema=None) as batch_op:
        batch_op.create_index('ix_notification_fanouts_done_at', ['done_at'], unique=False)


def downgrade():
    with op.batch_alter_table('notification_fanouts', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_fanouts_done_at')
    op.drop_table('notification_fanouts')
    with op.batch_alter_table('recommendations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recommendations_idea_id'))
    op.drop_table('recommendations')
    op.drop_table('support_evidence')
    op.drop_table('idea_counters')
