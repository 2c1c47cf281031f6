"""products: stages after approval (expected date, shop link, price) and the product timeline

Revision ID: 0018_products
Revises: 0016_programme
Create Date: 2026-12-03 07:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_products'
down_revision = '0016_programme'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expected_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('shop_url', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('price_amount', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('price_currency', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('stage_changed_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_products_price_valid'), "(price_amount IS NULL AND price_currency IS NULL) OR "
                           "(price_amount >= 0 AND price_currency IS NOT NULL)")
    op.create_table(
        'product_posts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('expected_on', sa.Date(), nullable=True),
        sa.Column('shop_url', sa.String(length=500), nullable=True),
        sa.Column('price_amount', sa.BigInteger(), nullable=True),
        sa.Column('price_currency', sa.String(length=3), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('notified_through', sa.Integer(), server_default='0', nullable=False),
        sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('in_production', 'on_sale', 'update')",
                           name=op.f('ck_product_posts_kind_valid')),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'],
                                name=op.f('fk_product_posts_author_id_users')),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'],
                                name=op.f('fk_product_posts_product_id_products'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_product_posts')),
    )
    op.create_index('ix_product_posts_product_created', 'product_posts',
                    ['product_id', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_product_posts_product_created', table_name='product_posts')
    op.drop_table('product_posts')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_products_price_valid'), type_='check')
        batch_op.drop_column('stage_changed_at')
        batch_op.drop_column('price_currency')
        batch_op.drop_column('price_amount')
        batch_op.drop_column('shop_url')
        batch_op.drop_column('expected_on')
