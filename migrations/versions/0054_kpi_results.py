"""KPI results: the dashboard's figures per scope, kept by the job analytics.compute.

Revision ID: 0054_kpi_results
Revises: 0051_comment_counter
Create Date: 2026-12-06 22:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0054_kpi_results'
down_revision = '0051_comment_counter'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'kpi_results',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scope_key', sa.String(length=64), nullable=False),
        sa.Column('from_day', sa.Date(), nullable=False),
        sa.Column('to_day', sa.Date(), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=True),
        sa.Column('campaign_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_kpi_results_campaign_id_campaigns'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['category_id'], ['categories.id'],
                                name=op.f('fk_kpi_results_category_id_categories'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_results')),
        sa.UniqueConstraint('scope_key', name=op.f('uq_kpi_results_scope_key')),
    )


def downgrade():
    op.drop_table('kpi_results')
