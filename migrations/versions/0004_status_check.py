"""status check: the database refuses an idea status the lifecycle does not know

Revision ID: 0004_status_check
Revises: 0003_ledger
Create Date: 2026-12-01 10:00:00

PostgreSQL gets the model's CHECK constraint ck_ideas_status_known. SQLite cannot add a CHECK
to an existing table without rebuilding it, and rebuilding `ideas` means dropping it: with
foreign keys on (the app turns them on), that cascades to every support, comment and event of
every idea, and it drops the full-text triggers of 0001. So on SQLite two triggers refuse the
same values instead (RAISE(ABORT), an IntegrityError like a CHECK's). Alembic compares neither
CHECK constraints nor triggers, so the models and the migrations still compare equal.

The list is app.lifecycle.IdeaStatus, spelled out: migrations import no app code
(tests/unit/test_lifecycle.py checks that the database accepts every status and nothing else).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004_status_check'
down_revision = '0003_ledger'
branch_labels = None
depends_on = None

STATUSES = ("draft", "pending_moderation", "needs_changes", "rejected", "published", "expired",
            "qualified", "withdrawn", "in_review", "approved", "not_approved", "on_hold",
            "in_production", "on_sale")
VALUES = "(" + ", ".join(f"'{status}'" for status in STATUSES) + ")"
CONDITION = f"status IN {VALUES}"
CONSTRAINT = "ck_ideas_status_known"
MESSAGE = "ideas.status must be a known status"
SQLITE_TRIGGERS = {
    "ideas_status_known_insert": "BEFORE INSERT ON ideas",
    "ideas_status_known_update": "BEFORE UPDATE OF status ON ideas",
}


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name, timing in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {timing} FOR EACH ROW "
                       f"WHEN NEW.status NOT IN {VALUES} "
                       f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
    else:
        op.create_check_constraint(op.f(CONSTRAINT), "ideas", CONDITION)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.drop_constraint(op.f(CONSTRAINT), "ideas", type_="check")
