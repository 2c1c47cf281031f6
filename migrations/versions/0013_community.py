"""community: co-creator invitations by e-mail, former supporters (conflict of interest),
consents record the confirmed address, supports and reports keep a hashed network and reports a weight

Revision ID: 0013_community
Revises: 0010_ops
Create Date: 2026-12-03 06:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_community'
down_revision = '0010_ops'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('creator_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('share_bps', sa.Integer(), nullable=False),
    sa.Column('inviter_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['idea_id'], ['ideas.id'], name=op.f('fk_creator_invitations_idea_id_ideas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['inviter_id'], ['users.id'], name=op.f('fk_creator_invitations_inviter_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_creator_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_creator_invitations_token_hash'))
    )
    with op.batch_alter_table('creator_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_creator_invitations_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_creator_invitations_idea_email', ['idea_id', 'email'], unique=False)
        batch_op.create_index(batch_op.f('ix_creator_invitations_inviter_id'), ['inviter_id'], unique=False)

    op.create_table('former_supporters',
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['idea_id'], ['ideas.id'], name=op.f('fk_former_supporters_idea_id_ideas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_former_supporters_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('idea_id', 'user_id', name=op.f('pk_former_supporters'))
    )
    with op.batch_alter_table('former_supporters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_former_supporters_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('email_confirmed_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('weight_pct', sa.Integer(), nullable=False,
                                      server_default='100'))
        batch_op.add_column(sa.Column('network_hash', sa.String(length=32), nullable=True))

    with op.batch_alter_table('supports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('network_hash', sa.String(length=32), nullable=True))



def downgrade():
    with op.batch_alter_table('supports', schema=None) as batch_op:
        batch_op.drop_column('network_hash')

    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_column('network_hash')
        batch_op.drop_column('weight_pct')

    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_column('email_confirmed_at')
        batch_op.drop_column('email')

    with op.batch_alter_table('former_supporters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_former_supporters_user_id'))

    op.drop_table('former_supporters')
    with op.batch_alter_table('creator_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_creator_invitations_inviter_id'))
        batch_op.drop_index('ix_creator_invitations_idea_email')
        batch_op.drop_index(batch_op.f('ix_creator_invitations_created_at'))

    op.drop_table('creator_invitations')
