"""HTML views: accounts."""

from app.accounts import bp


@bp.route("/login")
def login():  # placeholder until built
    return "login"


@bp.route("/signup")
def signup():  # placeholder until built
    return "signup"


@bp.route("/logout")
def logout():  # placeholder until built
    return "logout"


@bp.route("/me")
def dashboard():  # placeholder until built
    return "dashboard"


@bp.route("/notifications")
def notifications():  # placeholder until built
    return "notifications"
