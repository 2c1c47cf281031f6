"""ledger imports: sales files kept in the database between upload, preview and posting

Revision ID: 0008_ledger_imports
Revises: 0005_jobs
Create Date: 2026-12-10 10:00:00

An upload becomes a sales_imports row with one sales_import_rows row per checked line (or per
refused line, with its problem), instead of JSON files in the instance folder: any web worker
can show the preview, and the posting job records its progress (done_rows) in the same
transaction as each batch it posts, so it can resume exactly where it stopped.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_ledger_imports'
down_revision = '0006_scale_lists'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sales_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('new_rows', sa.Integer(), nullable=False),
    sa.Column('problem_rows', sa.Integer(), nullable=False),
    sa.Column('done_rows', sa.Integer(), nullable=False),
    sa.Column('created_count', sa.Integer(), nullable=False),
    sa.Column('existing_count', sa.Integer(), nullable=False),
    sa.Column('credited', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('refused', 'ready', 'queued', 'posting', 'done', 'failed')", name=op.f('ck_sales_imports_status_valid')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sales_imports_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_imports')),
    sa.UniqueConstraint('token', name=op.f('uq_sales_imports_token'))
    )
    with op.batch_alter_table('sales_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_imports_user_id'), ['user_id'], unique=False)

    op.create_table('sales_import_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('period', sa.String(length=7), nullable=True),
    sa.Column('units', sa.Integer(), nullable=True),
    sa.Column('net_sales_minor', sa.BigInteger(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('external_ref', sa.String(length=100), nullable=True),
    sa.Column('royalty_minor', sa.BigInteger(), nullable=True),
    sa.Column('already_recorded', sa.Boolean(), nullable=False),
    sa.Column('problem', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['sales_imports.id'], name=op.f('fk_sales_import_rows_import_id_sales_imports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_import_rows')),
    sa.UniqueConstraint('import_id', 'line', name=op.f('uq_sales_import_rows_import_id_line'))
    )


def downgrade():
    op.drop_table('sales_import_rows')
    with op.batch_alter_table('sales_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_imports_user_id'))

    op.drop_table('sales_imports')
