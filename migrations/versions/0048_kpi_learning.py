"""KPI learning: indexes for the dashboard's period counts of product-test reports, survey
responses and idea revisions (created_at), the sign-up cohorts (users.created_at) and the
resonance answers (supports (created_at, resonance) where answered).

Revision ID: 0048_kpi_learning
Revises: 0053_unread_index
Create Date: 2026-12-06 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0048_kpi_learning'
down_revision = '0053_unread_index'
branch_labels = None
depends_on = None

TABLES = ('product_test_reports', 'survey_responses', 'idea_revisions')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_created_at'), ['created_at'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_created_at'), ['created_at'], unique=False)
    with op.batch_alter_table('supports', schema=None) as batch_op:
        batch_op.create_index('ix_supports_created_resonance', ['created_at', 'resonance'], unique=False,
                              postgresql_where=sa.text('resonance IS NOT NULL'),
                              sqlite_where=sa.text('resonance IS NOT NULL'))


def downgrade():
    with op.batch_alter_table('supports', schema=None) as batch_op:
        batch_op.drop_index('ix_supports_created_resonance')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_created_at'))
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_created_at'))
