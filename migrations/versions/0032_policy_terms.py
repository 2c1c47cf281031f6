"""Versioned member terms and privacy policy (policies), members' acceptances
(policy_acceptances) and the versions each member last accepted (users.terms_version,
users.privacy_version).

Revision ID: 0032_policy_terms
Revises: 0044_sessions
"""
import sqlalchemy as sa
from alembic import op

revision = '0032_policy_terms'
down_revision = '0044_sessions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'policies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('version', sa.String(length=20), nullable=False),
        sa.Column('text_en', sa.Text(), nullable=False),
        sa.Column('text_ja', sa.Text(), nullable=False),
        sa.Column('sha256_en', sa.String(length=64), nullable=False),
        sa.Column('sha256_ja', sa.String(length=64), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('published_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'version'),
    )
    op.create_index('ix_policies_kind_published', 'policies', ['kind', 'published_at'])
    op.create_table(
        'policy_acceptances',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('policy_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('version', sa.String(length=20), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('locale', sa.String(length=8), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ip_address', sa.String(length=45), nullable=True),
        sa.Column('user_agent', sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['policy_id'], ['policies.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'policy_id'),
    )
    op.create_index('ix_policy_acceptances_user_id', 'policy_acceptances', ['user_id'])
    op.create_index('ix_policy_acceptances_policy_id', 'policy_acceptances', ['policy_id'])
    op.create_index('ix_policy_acceptances_created_at', 'policy_acceptances', ['created_at'])
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('terms_version', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('privacy_version', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('privacy_version')
        batch_op.drop_column('terms_version')
    op.drop_table('policy_acceptances')
    op.drop_table('policies')
