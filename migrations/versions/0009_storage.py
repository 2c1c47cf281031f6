"""storage: a unique index on users.avatar_key

Revision ID: 0009_storage
Revises: 0004_status_check
Create Date: 2026-12-02 18:00:00

Serving /avatars/<key>/<size> looks the member up by the key (a blocked member's picture is
for staff only, and a file no member names is never served): without an index that is a scan
of the users table on every avatar shown. Keys are random, so no two members share one.
A plain CREATE UNIQUE INDEX, no table rebuild on SQLite.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009_storage'
down_revision = '0008_ledger_imports'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(op.f('ix_users_avatar_key'), 'users', ['avatar_key'], unique=True)


def downgrade():
    op.drop_index(op.f('ix_users_avatar_key'), table_name='users')
