"""The member's home: users.previous_seen_at (the "since your last visit" panel) and
reengagement_mails (one mail per lapse).

Revision ID: 0041_home_visits
Revises: 0030_follow
"""
import sqlalchemy as sa
from alembic import op

revision = '0041_home_visits'
down_revision = '0030_follow'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_seen_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'reengagement_mails',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('lapsed_since', sa.DateTime(timezone=True), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('mail_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'lapsed_since'),
    )
    with op.batch_alter_table('reengagement_mails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reengagement_mails_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('reengagement_mails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reengagement_mails_user_id'))
    op.drop_table('reengagement_mails')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('previous_seen_at')
