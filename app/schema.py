"""Rules Alembic uses when comparing the models with the database (env.py and tests share them)."""


def render_item(type_, obj, autogen_context):
    """Render our UTCDateTime as a plain timezone-aware DateTime: migrations import no app code."""
    if type_ == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


def include_object(obj, name, type_, reflected, compare_to):
    """Full-text search objects are created by hand in migrations, not described by models."""
    if type_ == "table" and name and name.startswith("ideas_fts"):
        return False
    if type_ == "index" and name == "ix_ideas_fts":
        return False
    return True
