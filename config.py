"""Settings. Every value can be overridden by an environment variable of the same name."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("KYOSO_INSTANCE_PATH", BASE_DIR / "instance"))


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def _bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = _env(name)
    return default if value is None else int(value)


def _float(name: str, default: float) -> float:
    value = _env(name)
    return default if value is None else float(value)


def _int_list(name: str, default: str) -> list[int]:
    return [int(part) for part in (_env(name, default) or default).split(",") if part.strip()]


def _secret_key() -> str:
    """Use SECRET_KEY, or generate one once and keep it in the instance folder."""
    key = _env("SECRET_KEY")
    if key:
        return key
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    def __init__(self) -> None:
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        self.SECRET_KEY = _secret_key()
        self.SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'kyoso.db'}")
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        # SQLite's PRAGMA synchronous: FULL (every commit reaches the disk) unless told otherwise.
        self.SQLITE_SYNCHRONOUS = _env("SQLITE_SYNCHRONOUS", "FULL").upper()
        if self.SQLITE_SYNCHRONOUS not in ("FULL", "NORMAL", "OFF", "EXTRA"):
            raise ValueError("SQLITE_SYNCHRONOUS must be FULL, NORMAL, OFF or EXTRA")
        # Seconds to wait for a PostgreSQL connection before answering 503 (not minutes).
        self.DATABASE_CONNECT_TIMEOUT = _int("DATABASE_CONNECT_TIMEOUT", 5)
        if self.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
            self.SQLALCHEMY_ENGINE_OPTIONS["connect_args"] = {
                "connect_timeout": self.DATABASE_CONNECT_TIMEOUT}
        self.UPLOAD_FOLDER = _env("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
        # Unset: files in UPLOAD_FOLDER. s3://bucket/prefix: S3-compatible object storage.
        self.STORAGE_URL = _env("STORAGE_URL")
        self.S3_ENDPOINT_URL = _env("S3_ENDPOINT_URL")
        self.S3_REGION = _env("S3_REGION")
        self.S3_MAX_ATTEMPTS = _int("S3_MAX_ATTEMPTS", 3)
        self.MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 12 * 1024 * 1024)
        self.IMAGE_MAX_BYTES = _int("IMAGE_MAX_BYTES", 10 * 1024 * 1024)
        self.IMAGE_MAX_PIXELS = _int("IMAGE_MAX_PIXELS", 40_000_000)
        self.IMAGE_MAX_SIDE = _int("IMAGE_MAX_SIDE", 10_000)
        self.IMAGE_MAX_ASPECT = _float("IMAGE_MAX_ASPECT", 20.0)
        # Images decoded at full size (all but JPEG): what one upload's memory is bounded by.
        self.IMAGE_MAX_DECODED_PIXELS = _int("IMAGE_MAX_DECODED_PIXELS", 16_000_000)
        self.IDEA_MAX_IMAGES = _int("IDEA_MAX_IMAGES", 10)
        # Quotas per member (app.services.quotas); 0 turns one off.
        self.MAX_DRAFTS_PER_MEMBER = _int("MAX_DRAFTS_PER_MEMBER", 20)
        self.MAX_UPLOADS_PER_DAY = _int("MAX_UPLOADS_PER_DAY", 100)

        self.SUPPORT_MILESTONES = _int_list("SUPPORT_MILESTONES", "100,1000,5000,10000")
        self.SUPPORT_WINDOWS_DAYS = _int_list("SUPPORT_WINDOWS_DAYS", "60,365,182,182")
        if len(self.SUPPORT_MILESTONES) != len(self.SUPPORT_WINDOWS_DAYS):
            raise ValueError("SUPPORT_MILESTONES and SUPPORT_WINDOWS_DAYS must have the same length")
        self.REVIEW_MIN_REVIEWERS = _int("REVIEW_MIN_REVIEWERS", 2)
        self.REVIEW_PRIORITY_TOTAL = _int("REVIEW_PRIORITY_TOTAL", 8)
        # Days of scoring after a batch's intake closes, when the admin gives no end date.
        self.REVIEW_SCORING_DAYS = _int("REVIEW_SCORING_DAYS", 14)
        self.ROYALTY_RATE_BPS = _int("ROYALTY_RATE_BPS", 100)
        self.COMMENT_REPORT_THRESHOLD = _int("COMMENT_REPORT_THRESHOLD", 3)
        # Recognition (app.services.recognition): the standing score halves in this many days.
        self.RECOGNITION_HALF_LIFE_DAYS = _int("RECOGNITION_HALF_LIFE_DAYS", 90)
        # The programme page's defaults until an admin saves it (app.services.programme).
        self.PROGRAMME_NAME = _env("PROGRAMME_NAME", "Kyoso")
        self.PAYOUT_MINIMUMS = _env("PAYOUT_MINIMUMS", "JPY:5000,USD:5000,EUR:5000")
        # Community integrity (app.services.invitations, app.services.integrity).
        self.INVITATIONS_PER_IDEA_PER_DAY = _int("INVITATIONS_PER_IDEA_PER_DAY", 10)
        self.INVITATIONS_PER_MEMBER_PER_DAY = _int("INVITATIONS_PER_MEMBER_PER_DAY", 20)
        self.INVITATION_RESEND_COOLDOWN_HOURS = _int("INVITATION_RESEND_COOLDOWN_HOURS", 168)
        self.REPORT_NEW_ACCOUNT_DAYS = _int("REPORT_NEW_ACCOUNT_DAYS", 7)
        self.REPORT_NEW_ACCOUNT_WEIGHT_PCT = _int("REPORT_NEW_ACCOUNT_WEIGHT_PCT", 25)
        self.BURST_MIN_ACCOUNTS = _int("BURST_MIN_ACCOUNTS", 3)
        self.BURST_WINDOW_DAYS = _int("BURST_WINDOW_DAYS", 14)

        self.RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
        self.REDIS_URL = _env("REDIS_URL")
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_HEADERS_ENABLED = True
        # Redis unreachable: count in this process's memory (logged, counted) instead of failing.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}

        # Background jobs (app.jobs): Celery with REDIS_URL as the broker, else in-process.
        self.JOBS_SYNC = _bool("JOBS_SYNC", False)
        self.JOBS_THREADS = _int("JOBS_THREADS", 2)
        self.JOBS_EMBEDDED_SCHEDULER = _bool("JOBS_EMBEDDED_SCHEDULER", True)
        self.JOBS_QUEUE = _env("JOBS_QUEUE", "kyoso")
        self.JOBS_KEY_PREFIX = _env("JOBS_KEY_PREFIX", "kyoso:")
        self.JOBS_MAX_RETRIES = _int("JOBS_MAX_RETRIES", 8)
        self.JOBS_RETRY_BACKOFF = max(1, _int("JOBS_RETRY_BACKOFF", 30))
        self.JOBS_RETRY_BACKOFF_MAX = _int("JOBS_RETRY_BACKOFF_MAX", 3600)
        self.JOBS_VISIBILITY_TIMEOUT = _int("JOBS_VISIBILITY_TIMEOUT", 1800)
        self.JOBS_RESTORE_INTERVAL = _int("JOBS_RESTORE_INTERVAL", 10)
        self.JOBS_BROKER_TIMEOUT = _int("JOBS_BROKER_TIMEOUT", 3)
        self.JOBS_BEAT_SCHEDULE = _env("JOBS_BEAT_SCHEDULE", str(INSTANCE_DIR / "celerybeat-schedule"))
        self.DIGEST_HOUR = _int("DIGEST_HOUR", 8)

        self.MAIL_SERVER = _env("MAIL_SERVER")
        self.MAIL_PORT = _int("MAIL_PORT", 25)
        self.MAIL_USERNAME = _env("MAIL_USERNAME")
        self.MAIL_PASSWORD = _env("MAIL_PASSWORD")
        self.MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
        self.MAIL_DEFAULT_SENDER = _env("MAIL_DEFAULT_SENDER", "Kyoso <no-reply@kyoso.local>")
        self.MAIL_TIMEOUT = _int("MAIL_TIMEOUT", 10)
        self.MAIL_SWEEP_AFTER = _int("MAIL_SWEEP_AFTER", 60)
        # Followers told per batch by the job notifications.fan_out (one mail job per batch).
        self.NOTIFY_FANOUT_BATCH = _int("NOTIFY_FANOUT_BATCH", 500)
        self.ANNOUNCEMENT_BATCH = _int("ANNOUNCEMENT_BATCH", 1000)
        # "For you": members whose shelves the scheduled job recomputes per run, and how often.
        self.FOR_YOU_REFRESH_BATCH = _int("FOR_YOU_REFRESH_BATCH", 500)
        self.FOR_YOU_REFRESH_MINUTES = _int("FOR_YOU_REFRESH_MINUTES", 10)
        # The KPI dashboard's kept results (app.services.kpi_results): served while younger than
        # this, and the standard periods recomputed this often by analytics.refresh.
        self.KPI_REFRESH_MINUTES = _int("KPI_REFRESH_MINUTES", 10)
        self.KPI_WAIT_SECONDS = _int("KPI_WAIT_SECONDS", 5)
        # `flask ledger verify` (and the verify page, API and job) on PostgreSQL: from 200,000
        # transactions the chain is walked in this many processes (1 or 2; 1 = one process).
        self.LEDGER_VERIFY_PROCESSES = _int("LEDGER_VERIFY_PROCESSES", 2)
        # Share links (app.services.referrals): how long a visit through a member's link
        # attributes the session's sign-up and supports to them.
        self.REFERRAL_WINDOW_HOURS = _int("REFERRAL_WINDOW_HOURS", 24)
        # Nudges (app.services.nudges): supporters of an idea whose deadline is within
        # NUDGE_DEADLINE_DAYS, or whose next milestone is within NUDGE_MILESTONE_PERCENT of its
        # count, are asked to share it: once per idea per NUDGE_INTERVAL_DAYS at most, by the
        # daily job at NUDGE_HOUR (UTC), NUDGE_BATCH supporters at a time.
        self.NUDGE_DEADLINE_DAYS = _int("NUDGE_DEADLINE_DAYS", 3)
        self.NUDGE_MILESTONE_PERCENT = _int("NUDGE_MILESTONE_PERCENT", 10)
        self.NUDGE_INTERVAL_DAYS = max(1, _int("NUDGE_INTERVAL_DAYS", 7))
        self.NUDGE_HOUR = _int("NUDGE_HOUR", 10)
        self.NUDGE_BATCH = max(1, _int("NUDGE_BATCH", 500))
        # The member's home page: supported ideas this close to their deadline are shown.
        self.HOME_DEADLINE_DAYS = _int("HOME_DEADLINE_DAYS", 7)
        # Re-engagement: members inactive this many days get one "since your last visit" mail
        # (app.services.reengagement), walked in batches of REENGAGE_BATCH, daily at
        # REENGAGE_HOUR (UTC).
        self.REENGAGE_AFTER_DAYS = _int("REENGAGE_AFTER_DAYS", 30)
        self.REENGAGE_BATCH = _int("REENGAGE_BATCH", 500)
        self.REENGAGE_HOUR = _int("REENGAGE_HOUR", 9)
        # Co-creation sessions: the longest online session (minutes); partner pool job batch.
        self.SESSION_ONLINE_MAX_MINUTES = _int("SESSION_ONLINE_MAX_MINUTES", 90)
        self.PARTNER_REFRESH_BATCH = _int("PARTNER_REFRESH_BATCH", 1000)

        # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted
        # (client IPs feed rate limits and consent records).
        self.TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
        self.PUBLIC_BASE_URL = (_env("PUBLIC_BASE_URL", "http://127.0.0.1:5000") or "").rstrip("/")
        self.SERVER_NAME = _env("SERVER_NAME")
        self.PREFERRED_URL_SCHEME = _env("PREFERRED_URL_SCHEME", "http")
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.WTF_CSRF_TIME_LIMIT = None
        self.BABEL_DEFAULT_LOCALE = "en"
        self.LANGUAGES = ["en", "ja"]
        self.PER_PAGE = _int("PER_PAGE", 24)
        # The home page's shelves (idea ids) stay cached this long, unless a change to a listed
        # idea clears them first; the rolled-up site numbers are recounted inline when older
        # than SITE_STATS_MAX_AGE (the scheduled `flask ideas stats` keeps them younger).
        self.HOME_SHELVES_TTL = _int("HOME_SHELVES_TTL", 60)
        # Whole pages for visitors not signed in (home, /ideas, idea pages): app.page_cache.
        self.PAGE_CACHE_TTL = _int("PAGE_CACHE_TTL", 30)
        self.PAGE_CACHE_ENTRIES = _int("PAGE_CACHE_ENTRIES", 500)  # in-process, without Redis
        self.SITE_STATS_MAX_AGE = _int("SITE_STATS_MAX_AGE", 15 * 60)
        # zxcvbn score (0-4) a new password needs: sign-up, reset, change.
        self.PASSWORD_MIN_SCORE = _int("PASSWORD_MIN_SCORE", 3)
        # Failed sign-ins per e-mail address (HTML and API together, any IP): this many within
        # the window lock the address for SIGN_IN_LOCK_SECONDS; the member is mailed once.
        self.SIGN_IN_MAX_FAILURES = _int("SIGN_IN_MAX_FAILURES", 10)
        self.SIGN_IN_FAILURE_WINDOW = _int("SIGN_IN_FAILURE_WINDOW", 15 * 60)
        self.SIGN_IN_LOCK_SECONDS = _int("SIGN_IN_LOCK_SECONDS", 15 * 60)
        # Server-side browser sessions (and "keep me signed in" cookies) end after this many days.
        self.SESSION_DAYS = _int("SESSION_DAYS", 30)
        self.TOKEN_MAX_AGE_SECONDS = _int("TOKEN_MAX_AGE_SECONDS", 60 * 60 * 24 * 30)
        # How long an API Idempotency-Key is remembered (app.idempotency).
        self.IDEMPOTENCY_KEY_HOURS = _int("IDEMPOTENCY_KEY_HOURS", 24)
        # Bearer token that may read GET /metrics (Prometheus); unset: /metrics is 404.
        self.METRICS_TOKEN = _env("METRICS_TOKEN")
        # One JSON line per request on stderr (app.observability).
        self.REQUEST_LOG = _bool("REQUEST_LOG", True)
        # Retention (`flask privacy purge`, daily): IP addresses and user agents of sign-in
        # sessions (ended sessions are deleted); IP addresses and user agents of consent and
        # acceptance records (the records themselves are kept as proof); sign-in throttle rows;
        # the network hashes of supports and reports. In days.
        self.RETENTION_SESSION_DAYS = _int("RETENTION_SESSION_DAYS", 90)
        self.RETENTION_CONSENT_DAYS = _int("RETENTION_CONSENT_DAYS", 1095)
        self.RETENTION_THROTTLE_DAYS = _int("RETENTION_THROTTLE_DAYS", 30)
        self.RETENTION_NETWORK_HASH_DAYS = _int("RETENTION_NETWORK_HASH_DAYS", 180)
        # Where `flask backup create` writes its archives unless told --output.
        self.BACKUP_DIR = _env("BACKUP_DIR", str(INSTANCE_DIR / "backups"))
        # Members' data rights: how long the link in the "confirm deleting your account" mail
        # works, and how long a data export can be downloaded (seconds).
        self.ACCOUNT_DELETION_LINK_MAX_AGE = _int("ACCOUNT_DELETION_LINK_MAX_AGE", 24 * 3600)
        self.DATA_EXPORT_MAX_AGE = _int("DATA_EXPORT_MAX_AGE", 7 * 24 * 3600)
        # Where the export job builds its zip before storing it (unset: the system's temporary
        # folder); it needs room for the largest account's archive.
        self.DATA_EXPORT_TMP_DIR = _env("DATA_EXPORT_TMP_DIR", "")
        # Staff two-factor sign-in: admins and finance must enrol (and give a code at sign-in)
        # when true. Set it true in production.
        self.STAFF_2FA_REQUIRED = _bool("STAFF_2FA_REQUIRED", False)


class TestConfig(Config):
    def __init__(self) -> None:
        super().__init__()
        self.TESTING = True
        self.WTF_CSRF_ENABLED = True
        self.RATELIMIT_ENABLED = False
        self.JOBS_SYNC = True  # jobs run right after the commit: tests see their effect at once
        # A test's database lives for one test: its commits need not wait for the disk.
        self.SQLITE_SYNCHRONOUS = "OFF"
        self.PAGE_CACHE_TTL = 0  # tests see every change at once; tests/test_page_cache.py sets it
        self.JOBS_EMBEDDED_SCHEDULER = False
