"""Surveys: surveys, survey_recipients, survey_responses (answers go with the member's account).

Revision ID: 0042_home_surveys
Revises: 0041_home_visits
"""
import sqlalchemy as sa
from alembic import op

revision = '0042_home_surveys'
down_revision = '0041_home_visits'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'surveys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('questions', sa.JSON(), nullable=False),
        sa.Column('idea_id', sa.Integer(), nullable=True),
        sa.Column('segment', sa.JSON(), nullable=True),
        sa.Column('public', sa.Boolean(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('response_count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['idea_id'], ['ideas.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_surveys_idea_id'), ['idea_id'], unique=False)
    op.create_table(
        'survey_recipients',
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('survey_id', 'user_id'),
    )
    with op.batch_alter_table('survey_recipients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_recipients_user_id'), ['user_id'], unique=False)
    op.create_table(
        'survey_responses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('answers', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('survey_id', 'user_id'),
    )
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_responses_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_responses_user_id'))
    op.drop_table('survey_responses')
    with op.batch_alter_table('survey_recipients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_recipients_user_id'))
    op.drop_table('survey_recipients')
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_surveys_idea_id'))
    op.drop_table('surveys')
