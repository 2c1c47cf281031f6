"""content: Markdown stored as sanitised HTML beside its source (with the renderer version),
the index for a member's drafts, kept upload counts per member and day

Revision ID: 0011_content
Revises: 0014_scale_idea
Create Date: 2026-12-03 07:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_content'
down_revision = '0014_scale_idea'
branch_labels = None
depends_on = None

#: (table, source column, html column, version column)
RENDERED = (
    ('ideas', 'description', 'description_html', 'description_html_version'),
    ('comments', 'body', 'body_html', 'body_html_version'),
    ('comment_revisions', 'body', 'body_html', 'body_html_version'),
)
BATCH = 500


def _fill(table: str, source: str, html: str, version: str) -> None:
    """Render every existing row once (in batches of ids)."""
    from app.markdown import render_stored

    bind = op.get_bind()
    rows = sa.table(table, sa.column('id', sa.Integer), sa.column(source, sa.Text),
                    sa.column(html, sa.Text), sa.column(version, sa.Integer))
    last = 0
    while True:
        batch = bind.execute(sa.select(rows.c.id, rows.c[source]).where(rows.c.id > last)
                             .order_by(rows.c.id).limit(BATCH)).all()
        if not batch:
            return
        for row_id, text in batch:
            rendered, renderer = render_stored(text)
            bind.execute(rows.update().where(rows.c.id == row_id)
                         .values({html: rendered, version: renderer}))
        last = batch[-1][0]


def upgrade():
    for table, source, html, version in RENDERED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(html, sa.Text(), server_default='', nullable=False))
            batch_op.add_column(sa.Column(version, sa.Integer(), server_default='0',
                                          nullable=False))
        _fill(table, source, html, version)
    with op.batch_alter_table('ideas', schema=None) as batch_op:
        batch_op.create_index('ix_ideas_owner_status', ['owner_id', 'status'], unique=False)
    op.create_table(
        'upload_counts',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.CheckConstraint('count >= 0', name=op.f('ck_upload_counts_count_non_negative')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_upload_counts_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'day', name=op.f('pk_upload_counts')),
    )


def downgrade():
    op.drop_table('upload_counts')
    with op.batch_alter_table('ideas', schema=None) as batch_op:
        batch_op.drop_index('ix_ideas_owner_status')
    for table, _source, html, version in reversed(RENDERED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(version)
            batch_op.drop_column(html)
