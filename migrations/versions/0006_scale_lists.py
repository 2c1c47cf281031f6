"""scale lists: rolled-up site stats, partial listing indexes, stored search document

Revision ID: 0006_scale_lists
Revises: 0004_status_check
Create Date: 2026-12-08 10:00:00

- `site_stats` (key, value, updated_at): the public numbers the home page shows, rolled up by
  app.services.stats.refresh_site_stats() (a scheduled job), and `tags.listed_count`.
- One partial index per listing sort on the listed ideas only (public status, not hidden, not
  merged: the exact predicate app.queries.listed_condition renders), the same per category and by
  status; `idea_tags (tag_id, idea_id)` for the tag filter.
- PostgreSQL search: a stored (generated) tsvector `ideas.search_vector` with a GIN index: the
  'simple' words of title (weight A), pitch (B) and description (C), plus the single characters
  and character pairs of the CJK text of title and pitch (so one kanji or a two-character word is
  an index lookup too); pg_trgm and a trigram GIN index on title and pitch for typo-tolerant
  matching. They replace the expression index ix_ideas_fts of 0001. SQLite keeps its FTS5 table.

The statuses are spelled out (migrations import no app code): app.lifecycle.PUBLIC,
APPROVED_OR_LATER and 'published'. Alembic compares neither index predicates, generated
columns it is told to skip (app.schema.include_object) nor functions.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_scale_lists'
down_revision = '0005_jobs'
branch_labels = None
depends_on = None

PUBLIC = ("published", "expired", "qualified", "withdrawn", "in_review", "approved",
          "not_approved", "on_hold", "in_production", "on_sale")
APPROVED_OR_LATER = ("approved", "in_production", "on_sale")
LISTED = "IN (" + ", ".join(f"'{s}'" for s in PUBLIC) + ")"
APPROVED = "IN (" + ", ".join(f"'{s}'" for s in APPROVED_OR_LATER) + ")"
GATHERING = "= 'published'"

INDEXES = (  # name, columns, statuses
    ("ix_ideas_listed_trending", ["trending_score", "published_at", "id"], LISTED),
    ("ix_ideas_listed_supported", ["support_count", "published_at", "id"], LISTED),
    ("ix_ideas_listed_newest", ["published_at", "id"], LISTED),
    ("ix_ideas_listed_approved", ["updated_at", "id"], APPROVED),
    ("ix_ideas_gathering_deadline", ["deadline", "id"], GATHERING),
    ("ix_ideas_gathering_trending", ["trending_score", "published_at", "id"], GATHERING),
    ("ix_ideas_listed_category_trending", ["category_id", "trending_score", "published_at", "id"],
     LISTED),
    ("ix_ideas_listed_category_supported", ["category_id", "support_count", "published_at", "id"],
     LISTED),
    ("ix_ideas_listed_category_newest", ["category_id", "published_at", "id"], LISTED),
    ("ix_ideas_gathering_category_deadline", ["category_id", "deadline", "id"], GATHERING),
    ("ix_ideas_listed_status_trending", ["status", "trending_score", "published_at", "id"],
     LISTED),
)

CJK = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\uac00-\ud7af]+"
POSTGRES_SEARCH = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # Every character and every pair of neighbouring characters of each run of CJK text.
    f"""
    CREATE OR REPLACE FUNCTION kyoso_cjk_grams(body text) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path FROM CURRENT AS $fn$
    DECLARE
      run text;
      grams text[] := '{{}}';
      n int;
    BEGIN
      FOR run IN SELECT (regexp_matches(coalesce(body, ''), '{CJK}', 'g'))[1] LOOP
        n := char_length(run);
        FOR i IN 1..n LOOP
          grams := grams || substr(run, i, 1);
          IF i < n THEN
            grams := grams || substr(run, i, 2);
          END IF;
        END LOOP;
      END LOOP;
      RETURN grams;
    END
    $fn$
    """,
    """
    -- SET search_path FROM CURRENT: pg_restore runs with an empty search_path, and the generated
    -- column below must still find kyoso_cjk_grams (flask backup restore).
    CREATE OR REPLACE FUNCTION kyoso_idea_document(title text, pitch text, description text)
    RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path FROM CURRENT AS $fn$
      SELECT setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A')
          || setweight(to_tsvector('simple'::regconfig, coalesce(pitch, '')), 'B')
          || setweight(to_tsvector('simple'::regconfig, coalesce(description, '')), 'C')
          || array_to_tsvector(kyoso_cjk_grams(coalesce(title, '') || ' ' || coalesce(pitch, '')))
    $fn$
    """,
    "ALTER TABLE ideas ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(kyoso_idea_document(title, pitch, description)) STORED",
    "CREATE INDEX ix_ideas_search ON ideas USING gin (search_vector)",
    "CREATE INDEX ix_ideas_trgm ON ideas USING gin "
    "((coalesce(title, '') || ' ' || coalesce(pitch, '')) gin_trgm_ops)",
    "DROP INDEX IF EXISTS ix_ideas_fts",
)
POSTGRES_SEARCH_DOWN = (
    "DROP INDEX IF EXISTS ix_ideas_trgm",
    "DROP INDEX IF EXISTS ix_ideas_search",
    "ALTER TABLE ideas DROP COLUMN IF EXISTS search_vector",
    "DROP FUNCTION IF EXISTS kyoso_idea_document(text, text, text)",
    "DROP FUNCTION IF EXISTS kyoso_cjk_grams(text)",
    "CREATE INDEX ix_ideas_fts ON ideas USING gin (to_tsvector('simple', "
    "coalesce(title, '') || ' ' || coalesce(pitch, '') || ' ' || coalesce(description, '')))",
)


def _where(statuses: str, dialect: str):
    false = "0" if dialect == "sqlite" else "false"
    return sa.text(f"status {statuses} AND hidden IS {false} AND merged_into_id IS NULL")


def upgrade():
    dialect = op.get_bind().dialect.name
    op.create_table(
        'site_stats',
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_site_stats')),
    )
    op.add_column('tags', sa.Column('listed_count', sa.Integer(), server_default='0',
                                    nullable=False))
    op.create_index('ix_tags_listed_count', 'tags', ['listed_count'], unique=False)
    op.create_index('ix_idea_tags_tag_idea', 'idea_tags', ['tag_id', 'idea_id'], unique=False)
    op.drop_index('ix_idea_tags_tag_id', table_name='idea_tags')
    # Replaced by the partial listing indexes (support_count and trending_score change on every
    # support: fewer indexes on them, cheaper supports).
    op.drop_index('ix_ideas_support_count', table_name='ideas')
    op.drop_index('ix_ideas_trending_score', table_name='ideas')
    for name, columns, statuses in INDEXES:
        op.create_index(name, 'ideas', columns, unique=False,
                        postgresql_where=_where(statuses, "postgresql"),
                        sqlite_where=_where(statuses, "sqlite"))
    if dialect == "postgresql":
        for statement in POSTGRES_SEARCH:
            op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for statement in POSTGRES_SEARCH_DOWN:
            op.execute(statement)
    for name, _columns, _statuses in reversed(INDEXES):
        op.drop_index(name, table_name='ideas')
    op.create_index('ix_ideas_trending_score', 'ideas', ['trending_score'], unique=False)
    op.create_index('ix_ideas_support_count', 'ideas', ['support_count'], unique=False)
    op.create_index('ix_idea_tags_tag_id', 'idea_tags', ['tag_id'], unique=False)
    op.drop_index('ix_idea_tags_tag_idea', table_name='idea_tags')
    op.drop_index('ix_tags_listed_count', table_name='tags')
    with op.batch_alter_table('tags') as batch_op:
        batch_op.drop_column('listed_count')
    op.drop_table('site_stats')
