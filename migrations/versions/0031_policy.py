"""Consents: users.personalisation (default true), users.marketing_mail (default false) and
consent_events (what, on/off, when, IP address, user agent).

Revision ID: 0031_policy
Revises: 0019_roles
"""
import sqlalchemy as sa
from alembic import op

revision = '0031_policy'
down_revision = '0019_roles'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('personalisation', sa.Boolean(), server_default=sa.true(),
                                      nullable=False))
        batch_op.add_column(sa.Column('marketing_mail', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    op.create_table(
        'consent_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('granted', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ip_address', sa.String(length=45), nullable=True),
        sa.Column('user_agent', sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.create_index('ix_consent_events_user_id', ['user_id'], unique=False)
        batch_op.create_index('ix_consent_events_created_at', ['created_at'], unique=False)


def downgrade():
    op.drop_table('consent_events')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('marketing_mail')
        batch_op.drop_column('personalisation')
