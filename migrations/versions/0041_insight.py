"""The guided N=1 insight: scene, conflict, own words, success, judged by, three whys, core.

The first version's three parts are carried over: situation -> scene, emotion -> conflict,
purpose -> success (the old columns stay, kept equal to those parts by the model).

Revision ID: 0041_insight
Revises: 0033_campaigns_forum
"""
import sqlalchemy as sa
from alembic import op

revision = '0041_insight'
down_revision = '0033_campaigns_forum'
branch_labels = None
depends_on = None

PARTS = ('scene', 'conflict', 'own_words', 'success', 'judged_by', 'why_1', 'why_2', 'why_3',
         'core')


def upgrade():
    with op.batch_alter_table('ideas', schema=None) as batch_op:
        for part in PARTS:
            batch_op.add_column(sa.Column(f'insight_{part}', sa.Text(), server_default='',
                                          nullable=False))
    op.execute("UPDATE ideas SET insight_scene = insight_situation, "
               "insight_conflict = insight_emotion, insight_success = insight_purpose")


def downgrade():
    with op.batch_alter_table('ideas', schema=None) as batch_op:
        for part in reversed(PARTS):
            batch_op.drop_column(f'insight_{part}')
