"""The application factory."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from config import BASE_DIR, INSTANCE_DIR, Config

BLUEPRINTS = (
    ("app.main", None),
    ("app.accounts", None),
    ("app.ideas", None),
    ("app.moderation", None),
    ("app.review", None),
    ("app.products", None),  # /products: made with the community
    ("app.campaigns", None),  # /campaigns, staff picks
    ("app.forum", None),  # /forum: discussion per category
    ("app.recognition", None),  # /leaderboard, /me/recognition, rewards
    ("app.cocreation", None),  # sessions, partner pool, product tests (issue 15)
    ("app.ledger", None),
    ("app.admin", None),
    ("app.outreach", None),  # /outreach: announcements and segments; /announcements/<id>
    ("app.policies", None),  # /terms, /privacy, /policies/accept
    ("app.notifications", None),  # /unsubscribe/<token>
    ("app.rights", None),  # /account/data (export, deletion), /account/two-factor
    ("app.surveys", None),  # /surveys/<id>: answer, results (charts, CSV)
    ("app.api", "/api/v1"),
    ("app.observability", None),  # GET /metrics
    # CLI-only blueprints: each owns its commands (`flask i18n ...`, `flask seed-demo`,
    # `flask backup ...`).
    ("app.i18n_cli", None),
    ("app.demo", None),
    ("app.backup_cli", None),  # flask backup ...
    ("app.privacy_cli", None),  # flask privacy purge
    ("app.media", None),
)


def create_app(config: Config | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
    )
    from app.json_numbers import JSONProvider

    app.json = JSONProvider(app)  # 2.0 is an integer, as JSON Schema says
    config = config or Config()
    app.config.from_object(config)
    if not app.config.get("STORAGE_URL"):
        Path(app.config["UPLOAD_FOLDER"]).mkdir(parents=True, exist_ok=True)
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    from app import observability

    observability.init_app(app)  # request ids, the JSON request log, Prometheus metrics

    from app import models  # noqa: F401  (register every table)
    from app.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from app import cache, i18n, images, security, static_files, storage, templating, web

    cache.init_app(app)
    storage.init_app(app)
    images.configure_pillow(app.config["IMAGE_MAX_PIXELS"])

    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    security.init_app(app)
    web.init_app(app)
    static_files.init_app(app)
    i18n.init_app(app)
    templating.init_app(app)

    import importlib

    for module_name, prefix in BLUEPRINTS:
        module = importlib.import_module(module_name)
        app.register_blueprint(module.bp, url_prefix=prefix)

    from app import transaction

    transaction.init_app(app)
    from app import health, jobs, ratelimits

    ratelimits.init_app(app)
    jobs.init_app(app)
    health.init_app(app)

    from app.services import discovery

    discovery.init_app(app)
    from app import page_cache

    page_cache.init_app(app)

    from app import cli

    cli.init_app(app)
    _configure_sqlite(app)
    return app


def _configure_sqlite(app: Flask) -> None:
    """SQLite: foreign keys on, WAL, and wait for the write lock instead of failing at once."""
    from sqlalchemy import event

    from app.extensions import db

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    synchronous = app.config.get("SQLITE_SYNCHRONOUS", "FULL")
    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.close()
