"""Feedback polish (issue 17): comments removed by a moderator say so, review batches carry a
scoring end date, reviewer notes per idea of a batch (calibration), members' reports of ideas and members

Revision ID: 0049_polish_feedback
Revises: 0048_kpi_learning
Create Date: 2026-12-06 22:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0049_polish_feedback'
down_revision = '0048_kpi_learning'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed_by_moderator', sa.Boolean(),
                                      server_default='false', nullable=False))
    # Comments deleted by a moderator before: the audit log says which.
    op.execute("UPDATE comments SET removed_by_moderator = true WHERE deleted_at IS NOT NULL "
               "AND id IN (SELECT target_id FROM audit_log WHERE target_type = 'comment' "
               "AND action IN ('comment.delete', 'comment.remove'))")
    with op.batch_alter_table('review_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scoring_ends_on', sa.Date(), nullable=True))
    op.create_table('review_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_review_notes_author_id_users')),
    sa.ForeignKeyConstraint(['item_id'], ['review_items.id'], name=op.f('fk_review_notes_item_id_review_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_notes'))
    )
    with op.batch_alter_table('review_notes', schema=None) as batch_op:
        batch_op.create_index('ix_review_notes_item_created', ['item_id', 'created_at'], unique=False)
    op.create_table('content_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('weight_pct', sa.Integer(), nullable=False),
    sa.Column('network_hash', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution', sa.String(length=16), nullable=True),
    sa.CheckConstraint("kind IN ('idea', 'user')", name=op.f('ck_content_reports_kind_valid')),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_content_reports_reporter_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_reports')),
    sa.UniqueConstraint('kind', 'target_id', 'reporter_id', name=op.f('uq_content_reports_kind_target_id_reporter_id'))
    )
    with op.batch_alter_table('content_reports', schema=None) as batch_op:
        batch_op.create_index('ix_content_reports_open', ['kind', 'resolved_at', 'target_id'], unique=False)


def downgrade():
    with op.batch_alter_table('content_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_content_reports_open')
    op.drop_table('content_reports')
    with op.batch_alter_table('review_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_review_notes_item_created')
    op.drop_table('review_notes')
    with op.batch_alter_table('review_batches', schema=None) as batch_op:
        batch_op.drop_column('scoring_ends_on')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_column('removed_by_moderator')
