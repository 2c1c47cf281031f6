"""Surveys after a co-creation session: surveys.session_id (its attendees answer).

Revision ID: 0047_outreach_gaps
Revises: 0045_cocreation_gaps
"""
import sqlalchemy as sa
from alembic import op

revision = '0047_outreach_gaps'
down_revision = '0045_cocreation_gaps'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_surveys_session_id'), ['session_id'], unique=False)
        batch_op.create_foreign_key('fk_surveys_session_id_cocreation_sessions',
                                    'cocreation_sessions', ['session_id'], ['id'],
                                    ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_constraint('fk_surveys_session_id_cocreation_sessions', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_surveys_session_id'))
        batch_op.drop_column('session_id')
