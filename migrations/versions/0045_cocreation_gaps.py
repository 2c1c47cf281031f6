"""Co-creation gaps: recognition counts sessions attended, product tests completed and people
brought (member_stats); staff cancel a session (cocreation_sessions.cancelled_at,
cancelled_by_id, cancel_reason).

Revision ID: 0045_cocreation_gaps
Revises: 0032_policy_terms
"""
import sqlalchemy as sa
from alembic import op

revision = '0045_cocreation_gaps'
down_revision = '0032_policy_terms'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('member_stats', schema=None) as batch_op:
        for name in ('sessions_attended', 'tests_completed', 'people_brought'):
            batch_op.add_column(sa.Column(name, sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('cocreation_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancelled_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.String(length=500), nullable=True))
        batch_op.create_foreign_key('fk_cocreation_sessions_cancelled_by_id_users', 'users',
                                    ['cancelled_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('cocreation_sessions', schema=None) as batch_op:
        batch_op.drop_constraint('fk_cocreation_sessions_cancelled_by_id_users',
                                 type_='foreignkey')
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_by_id')
        batch_op.drop_column('cancelled_at')
    with op.batch_alter_table('member_stats', schema=None) as batch_op:
        for name in ('people_brought', 'tests_completed', 'sessions_attended'):
            batch_op.drop_column(name)
