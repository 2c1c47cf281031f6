"""scale ledger: kept balances (ledger_balances), fewer indexes written per posted line

Revision ID: 0015_scale_ledger
Revises: 0011_content
Create Date: 2026-12-03 07:00:00

- ledger_balances: one row per account that has entries, its balance (the sum of its entries'
  amount_minor), kept by the posting code in the same transaction as the entries and checked
  by `flask ledger verify`. Filled here from the entries already posted. On PostgreSQL a
  fillfactor of 50 leaves room on each page for HOT updates (it has no index but its key).
- Indexes no query uses are dropped (checked with EXPLAIN on a 1,000,000-transaction ledger):
  ix_ledger_transactions_created_at (nothing filters or sorts transactions by time) and
  ix_ledger_entries_account_id (balances are read from ledger_balances; entries are only
  looked up by transaction). Both are plain indexes, so SQLite drops them too.
- uq_ledger_transactions_hash is dropped on PostgreSQL: no query looks a transaction up by its
  hash, and uniqueness follows from the unique sequence (each hash covers its sequence), so the
  index only cost a random insert into a 64-character B-tree per posted line (the largest
  single cost of a COPY at a million rows). SQLite cannot drop a table's inline UNIQUE without
  rebuilding the table, which the entries' foreign keys forbid while it has rows; there it
  stays (app/schema.py SQLITE_KEPT_CONSTRAINTS keeps it out of the model comparison).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_scale_ledger'
down_revision = '0011_content'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'ledger_balances',
        sa.Column('account_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('balance_minor', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['ledger_accounts.id'],
                                name=op.f('fk_ledger_balances_account_id_ledger_accounts')),
        sa.PrimaryKeyConstraint('account_id', name=op.f('pk_ledger_balances')),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE ledger_balances SET (fillfactor = 50)")
    op.execute("INSERT INTO ledger_balances (account_id, balance_minor) "
                "SELECT account_id, SUM(amount_minor) FROM ledger_entries GROUP BY account_id")
    op.drop_index(op.f('ix_ledger_transactions_created_at'), table_name='ledger_transactions')
    op.drop_index(op.f('ix_ledger_entries_account_id'), table_name='ledger_entries')
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f('uq_ledger_transactions_hash'), 'ledger_transactions',
                           type_='unique')


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.create_unique_constraint(op.f('uq_ledger_transactions_hash'), 'ledger_transactions',
                                    ['hash'])
    op.create_index(op.f('ix_ledger_entries_account_id'), 'ledger_entries', ['account_id'])
    op.create_index(op.f('ix_ledger_transactions_created_at'), 'ledger_transactions',
                    ['created_at'])
    op.drop_table('ledger_balances')
