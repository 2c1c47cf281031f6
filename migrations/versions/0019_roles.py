"""Roles community_manager and analyst: user_roles.role widened to 32 characters.

Revision ID: 0019_roles
Revises: 0017_notify_i18n
"""
import sqlalchemy as sa
from alembic import op

revision = '0019_roles'
down_revision = '0017_notify_i18n'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.alter_column('role', existing_type=sa.String(length=16), type_=sa.String(length=32),
                              existing_nullable=False)


def downgrade():
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.alter_column('role', existing_type=sa.String(length=32), type_=sa.String(length=16),
                              existing_nullable=False)
