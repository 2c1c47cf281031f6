"""Announcements to a segment of members, and one delivery row per recipient.

Revision ID: 0036_announcements
Revises: 0040_analytics
"""
import sqlalchemy as sa
from alembic import op

revision = '0036_announcements'
down_revision = '0040_analytics'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'announcements',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title_en', sa.String(length=160), nullable=False),
        sa.Column('title_ja', sa.String(length=160), nullable=False),
        sa.Column('body_en', sa.Text(), nullable=False),
        sa.Column('body_ja', sa.Text(), nullable=False),
        sa.Column('body_en_html', sa.Text(), nullable=False),
        sa.Column('body_ja_html', sa.Text(), nullable=False),
        sa.Column('body_html_version', sa.Integer(), nullable=False),
        sa.Column('segment_spec', sa.JSON(), nullable=False),
        sa.Column('segment_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('recipients_count', sa.Integer(), nullable=False),
        sa.Column('delivered_count', sa.Integer(), nullable=False),
        sa.Column('mailed_count', sa.Integer(), nullable=False),
        sa.Column('after_user_id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('sent_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sending_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'sending', 'sent')",
                           name=op.f('ck_announcements_status_valid')),
        sa.ForeignKeyConstraint(['segment_id'], ['segments.id'],
                                name=op.f('fk_announcements_segment_id_segments'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_announcements_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'],
                                name=op.f('fk_announcements_sent_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_announcements')),
    )
    op.create_index('ix_announcements_status', 'announcements', ['status'])
    op.create_table(
        'announcement_deliveries',
        sa.Column('announcement_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('mailed', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['announcement_id'], ['announcements.id'],
                                name=op.f('fk_announcement_deliveries_announcement_id_announcements'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_announcement_deliveries_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('announcement_id', 'user_id',
                                name=op.f('pk_announcement_deliveries')),
    )
    op.create_index(op.f('ix_announcement_deliveries_user_id'), 'announcement_deliveries',
                    ['user_id'])


def downgrade():
    op.drop_index(op.f('ix_announcement_deliveries_user_id'), table_name='announcement_deliveries')
    op.drop_table('announcement_deliveries')
    op.drop_index('ix_announcements_status', table_name='announcements')
    op.drop_table('announcements')
