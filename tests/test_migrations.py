"""The migrations are the schema: building it from them must give exactly the models."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import Config

from app.extensions import db
from app.schema import include_object


def test_migrations_build_exactly_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_object": include_object})
        assert compare_metadata(context, db.metadata) == []


def test_migrations_reach_the_single_head(app):
    config = Config()
    config.set_main_option("script_location", app.extensions["migrate"].directory)
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1
    with db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == heads[0]
