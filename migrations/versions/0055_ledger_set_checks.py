"""Ledger references checked per statement (PostgreSQL): the foreign keys from entries, sales
and payouts to their transaction (and from entries to their account) become one check per
INSERT or COPY over its transition table, instead of a trigger, a lookup and a row lock per row.

The parents are append-only (their triggers refuse UPDATE, DELETE and TRUNCATE), so a row they
hold can never go away or change its id: the only way to break these references is to insert
a child naming a parent that does not exist, which the statement trigger refuses with the same
SQLSTATE as a foreign key (23503). Posting a batch of 1,000 sale lines wrote about 6,400 of
these row checks. SQLite keeps its foreign keys.

Revision ID: 0055_ledger_set_checks
Revises: 0054_kpi_results
Create Date: 2026-12-08 00:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0055_ledger_set_checks'
down_revision = '0054_kpi_results'
branch_labels = None
depends_on = None

#: (child table, constraint, column, parent table)
REFERENCES = (
    ("ledger_entries", "fk_ledger_entries_transaction_id_ledger_transactions", "transaction_id",
     "ledger_transactions"),
    ("ledger_entries", "fk_ledger_entries_account_id_ledger_accounts", "account_id",
     "ledger_accounts"),
    ("sales", "fk_sales_transaction_id_ledger_transactions", "transaction_id",
     "ledger_transactions"),
    ("payouts", "fk_payouts_transaction_id_ledger_transactions", "transaction_id",
     "ledger_transactions"),
)


def _check(table: str, column: str, parent: str) -> str:
    # DISTINCT then a LATERAL probe with LIMIT 1: one index lookup per distinct parent (a
    # transition table has no statistics, and a hash anti-join would read the whole parent).
    return f"""
    SELECT d.{column} INTO missing
    FROM (SELECT DISTINCT {column} FROM added) d
    LEFT JOIN LATERAL (SELECT 1 AS found FROM {parent} p WHERE p.id = d.{column} LIMIT 1) f
        ON true
    WHERE f.found IS NULL
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert on table "{table}": {column} % is not present in table "{parent}"',
            missing USING ERRCODE = 'foreign_key_violation';
    END IF;"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("ledger_entries", "sales", "payouts"):
        checks = "".join(_check(table, column, parent)
                         for child, _name, column, parent in REFERENCES if child == table)
        op.execute(f"""
            CREATE FUNCTION {table}_references() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE missing bigint;
            BEGIN{checks}
                RETURN NULL;
            END $$""")
        op.execute(f"""
            CREATE TRIGGER {table}_references AFTER INSERT ON {table}
            REFERENCING NEW TABLE AS added FOR EACH STATEMENT
            EXECUTE FUNCTION {table}_references()""")
    for table, name, _column, _parent in REFERENCES:
        op.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, name, column, parent in REFERENCES:
        op.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" FOREIGN KEY ({column}) '
                   f'REFERENCES {parent} (id)')
    for table in ("ledger_entries", "sales", "payouts"):
        op.execute(f"DROP TRIGGER {table}_references ON {table}")
        op.execute(f"DROP FUNCTION {table}_references()")
