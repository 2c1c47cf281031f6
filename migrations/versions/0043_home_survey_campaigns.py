"""Surveys attached to a campaign: surveys.campaign_id (its entrants and voters answer).

Revision ID: 0043_home_survey_campaigns
Revises: 0042_home_surveys
"""
import sqlalchemy as sa
from alembic import op

revision = '0043_home_survey_campaigns'
down_revision = '0042_home_surveys'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('campaign_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_surveys_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_foreign_key('fk_surveys_campaign_id_campaigns', 'campaigns',
                                    ['campaign_id'], ['id'], ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_constraint('fk_surveys_campaign_id_campaigns', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_surveys_campaign_id'))
        batch_op.drop_column('campaign_id')
