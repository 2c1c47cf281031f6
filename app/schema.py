"""Rules Alembic uses when comparing the models with the database (env.py and tests share them)."""

#: Search objects created by hand in migrations (0001, 0006), not described by models.
SEARCH_INDEXES = ("ix_ideas_fts", "ix_ideas_search", "ix_ideas_trgm")
SEARCH_COLUMNS = ("search_vector",)
#: Unique constraints SQLite keeps after PostgreSQL dropped them (0015): SQLite cannot drop a
#: table's inline UNIQUE without rebuilding the table, which its foreign keys forbid.
SQLITE_KEPT_CONSTRAINTS = ("uq_ledger_transactions_hash",)
#: Foreign keys PostgreSQL checks once per INSERT or COPY by a statement trigger instead
#: (0055_ledger_set_checks: their parents are append-only). The models keep them: SQLite has
#: them, and the ORM orders its inserts by them.
STATEMENT_CHECKED_REFERENCES = (
    "fk_ledger_entries_transaction_id_ledger_transactions",
    "fk_ledger_entries_account_id_ledger_accounts",
    "fk_sales_transaction_id_ledger_transactions",
    "fk_payouts_transaction_id_ledger_transactions",
)


def render_item(type_, obj, autogen_context):
    """Render our UTCDateTime as a plain timezone-aware DateTime: migrations import no app code."""
    if type_ == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


def include_object(obj, name, type_, reflected, compare_to):
    """Full-text search objects are created by hand in migrations, not described by models."""
    if type_ == "table" and name and name.startswith("ideas_fts"):
        return False
    if type_ == "index" and name in SEARCH_INDEXES:
        return False
    if type_ == "unique_constraint" and reflected and compare_to is None \
            and name in SQLITE_KEPT_CONSTRAINTS:
        return False
    if type_ == "foreign_key_constraint" and not reflected and compare_to is None \
            and name in STATEMENT_CHECKED_REFERENCES:
        return False
    if type_ == "column" and name in SEARCH_COLUMNS and getattr(obj, "table", None) is not None \
            and obj.table.name == "ideas":
        return False
    return True
