"""Rate limits (Flask-Limiter strings). Off with RATELIMIT_ENABLED=false; Redis when REDIS_URL is set."""

SIGN_IN = "10 per minute; 100 per hour"
SIGN_UP = "5 per minute; 30 per hour"
PASSWORD_RESET = "5 per minute; 20 per hour"
POSTING = "20 per minute; 300 per hour"  # ideas, comments, images
SUPPORTING = "60 per minute; 600 per hour"
TOKENS = "10 per minute"
