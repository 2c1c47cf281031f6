"""follow: members following members, member counters, referral events, supporter nudges,
users.ref_code (a personal share code, filled for existing members).

Revision ID: 0030_follow
Revises: 0036_announcements
"""
import sqlalchemy as sa
from alembic import op

revision = '0030_follow'
down_revision = '0036_announcements'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_follows',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('follower_id', sa.Integer(), nullable=False),
        sa.Column('followed_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['follower_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_user_follows_follower_id_users')),
        sa.ForeignKeyConstraint(['followed_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_user_follows_followed_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_follows')),
        sa.UniqueConstraint('follower_id', 'followed_id',
                            name=op.f('uq_user_follows_follower_id_followed_id')),
    )
    op.create_index('ix_user_follows_followed_follower', 'user_follows',
                    ['followed_id', 'follower_id'])
    op.create_table(
        'member_counters',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('follower_count', sa.Integer(), nullable=False),
        sa.Column('following_count', sa.Integer(), nullable=False),
        sa.Column('share_visit_count', sa.Integer(), nullable=False),
        sa.Column('referred_signup_count', sa.Integer(), nullable=False),
        sa.Column('referred_support_count', sa.Integer(), nullable=False),
        sa.Column('brought_count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_member_counters_user_id_users')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_member_counters')),
    )
    op.create_table(
        'referral_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sharer_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('idea_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['sharer_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_referral_events_sharer_id_users')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_referral_events_user_id_users')),
        sa.ForeignKeyConstraint(['idea_id'], ['ideas.id'], ondelete='SET NULL',
                                name=op.f('fk_referral_events_idea_id_ideas')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_events')),
    )
    op.create_index('ix_referral_events_sharer_kind', 'referral_events', ['sharer_id', 'kind', 'id'])
    op.create_index('ix_referral_events_created_at', 'referral_events', ['created_at'])
    op.create_index('ix_referral_events_user_id', 'referral_events', ['user_id'])
    op.create_index('ix_referral_events_idea_id', 'referral_events', ['idea_id'])
    op.create_table(
        'idea_nudges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('idea_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('sent_on', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['idea_id'], ['ideas.id'], ondelete='CASCADE',
                                name=op.f('fk_idea_nudges_idea_id_ideas')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_idea_nudges_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_idea_nudges')),
        sa.UniqueConstraint('idea_id', 'user_id', 'sent_on',
                            name=op.f('uq_idea_nudges_idea_id_user_id_sent_on')),
    )
    op.create_index('ix_idea_nudges_user_id', 'idea_nudges', ['user_id'])
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ref_code', sa.String(length=16), nullable=True))
    # existing members get a random code (12 hex characters); new ones get theirs from the model
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE users SET ref_code = substr(md5(random()::text || id::text), 1, 12)")
    else:
        op.execute("UPDATE users SET ref_code = lower(hex(randomblob(6)))")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_users_ref_code', ['ref_code'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_users_ref_code', type_='unique')
        batch_op.drop_column('ref_code')
    op.drop_index('ix_idea_nudges_user_id', table_name='idea_nudges')
    op.drop_table('idea_nudges')
    op.drop_index('ix_referral_events_idea_id', table_name='referral_events')
    op.drop_index('ix_referral_events_user_id', table_name='referral_events')
    op.drop_index('ix_referral_events_created_at', table_name='referral_events')
    op.drop_index('ix_referral_events_sharer_kind', table_name='referral_events')
    op.drop_table('referral_events')
    op.drop_table('member_counters')
    op.drop_index('ix_user_follows_followed_follower', table_name='user_follows')
    op.drop_table('user_follows')
