"""Rate limits (Flask-Limiter strings). Off with RATELIMIT_ENABLED=false; Redis when REDIS_URL is set,
with a fall-back to in-memory counting (logged and counted) while Redis cannot be reached."""

SIGN_IN = "10 per minute; 100 per hour"
SIGN_UP = "5 per minute; 30 per hour"
PASSWORD_RESET = "5 per minute; 20 per hour"
POSTING = "20 per minute; 300 per hour"  # ideas, comments, images
SUPPORTING = "60 per minute; 600 per hour"
PREVIEW = "30 per minute; 600 per hour"  # Markdown previews while writing
TOKENS = "10 per minute"


def shared_store_problem(config, workers: int) -> str | None:
    """Why these settings must not run in `workers` processes, or None. Without REDIS_URL the
    limits are counted in each process's memory: N workers would allow N times every limit."""
    if workers <= 1 or not config.get("RATELIMIT_ENABLED", True):
        return None
    if not str(config.get("RATELIMIT_STORAGE_URI") or "memory://").startswith("memory://"):
        return None
    return (f"Refusing to start {workers} workers: without REDIS_URL the rate limits are counted "
            "in each worker's memory, so every worker would allow the full limit again. Set "
            "REDIS_URL (limits shared in Redis), or run one worker (GUNICORN_WORKERS=1), or turn "
            "the limits off (RATELIMIT_ENABLED=false) when something in front of the app limits.")


FALLBACK_MESSAGE = "falling back to in-memory storage"


class _CountFallbacks:
    """A logging filter on Flask-Limiter's logger: each switch to in-memory limits (Redis
    unreachable) is counted as `ratelimit_fallbacks` and logged; recoveries are logged too."""

    def filter(self, record) -> bool:
        from app import metrics

        if FALLBACK_MESSAGE in record.getMessage():
            metrics.increment("ratelimit_fallbacks")
        return True


def init_app(app) -> None:
    import logging

    logger = logging.getLogger("flask-limiter")
    if not any(isinstance(f, _CountFallbacks) for f in logger.filters):
        logger.addFilter(_CountFallbacks())
    logger.setLevel(logging.INFO)
