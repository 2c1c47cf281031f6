"""Account deletion in two steps: account_deletions (the request ends the account, a job erases)

Revision ID: 0046_rights_gaps
Revises: 0047_outreach_gaps
Create Date: 2026-12-04 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0046_rights_gaps'
down_revision = '0047_outreach_gaps'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account_deletions',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_deletions_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_account_deletions'))
    )
    with op.batch_alter_table('account_deletions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_deletions_erased_at'), ['erased_at'], unique=False)
    # Accounts deleted before: erased in the request that deleted them.
    op.execute("INSERT INTO account_deletions (user_id, name, requested_at, erased_at, attempts) "
               "SELECT id, '', deleted_at, deleted_at, 1 FROM users WHERE deleted_at IS NOT NULL")


def downgrade():
    with op.batch_alter_table('account_deletions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_deletions_erased_at'))

    op.drop_table('account_deletions')
