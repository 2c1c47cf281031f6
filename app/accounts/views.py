"""HTML views: sign-up, sign-in, passwords, profile and settings, dashboard, notifications,
public profiles and avatars. Thin: each view translates HTTP to one service call and back."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import (abort, current_app, flash, redirect, render_template, request, session, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select

from app import permissions, ratelimits, security, sharing, storage
from app.accounts import bp
from app.accounts.forms import (ChangeEmailForm, ChangePasswordForm, EmailForm, EmptyForm, PrivacyForm, ProfileForm,
                                ResetPasswordForm, SettingsForm, SignInForm, SignUpForm)
from app.errors import Conflict, Invalid, Unauthorized
from app.extensions import db, limiter
from app.images import OUTPUT_CONTENT_TYPE
from app.web import page_arg
from app.models import Idea, IdeaCreator, IdeaFollow, Notification, Support, User
from app.queries import visible_ideas
from app.services import accounts as account_service
from app.services import consents as consent_service
from app.services import policies as policy_service
from app.services import notifications as notification_service
from app.services import moderation, people, referrals, sign_ins
from app.ideas.engagement_forms import ReportForm
from app.transaction import perform, transaction

NOTIFICATIONS_PER_PAGE = 30
DASHBOARD_LIMIT = 48
PROFILE_IDEAS_LIMIT = 48


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (never redirect elsewhere)."""
    if not target or not isinstance(target, str):
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _render(template: str, form, refused: bool = False, **context):
    """Render a form page; a rejected submission answers 422 so it is never mistaken for success."""
    status = 422 if request.method == "POST" and (refused or any(f.errors for f in form)) \
        else 200
    return render_template(template, form=form, **context), status


def _sign_in(user: User, remember: bool = False) -> None:
    """Start a fresh session for the user: nothing set before signing in (by whoever prepared
    this browser, e.g. a planted cookie) survives, and the CSRF token changes too. The session
    lives on the server (signing out ends it); "keep me signed in" adds a remember-me cookie
    of its own."""
    with transaction():
        started = sign_ins.start_session(user, user_agent=request.user_agent.string,
                                         ip=request.remote_addr or "", remember=remember)
    kept = sharing.carried()  # a share link's attribution survives signing in
    session.clear()
    session.update(kept)
    login_user(user)
    session[security.SESSION_ID_KEY] = started.row.id
    if started.remember_token:
        security.remember_browser(started.remember_token)


def _origin() -> dict[str, str]:
    """Where a consent or acceptance comes from, for its record."""
    return {"ip_address": request.remote_addr or "", "user_agent": request.user_agent.string or ""}


# --------------------------------------------------------------------------- sign-up and confirmation


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(ratelimits.SIGN_UP, methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.dashboard"))
    form = SignUpForm()
    in_force = policy_service.current_policies()
    registered = None
    if form.validate_on_submit():
        registered = perform(lambda: account_service.register(
            form.email.data, form.password.data, form.display_name.data,
            marketing_mail=bool(form.marketing_mail.data), accept=form.accepted(), **_origin()),
            form=form, rename={"accept.terms": "accept_terms", "accept.privacy": "accept_privacy"})
        if registered:
            user = registered.value
            sharer_id = sharing.session_sharer()
            if sharer_id is not None:  # a share link brought them
                with transaction():
                    referrals.record_signup(sharer_id, user)
            _sign_in(user)
            # One notice: the dashboard's confirmation banner welcomes them (no flash beside it).
            session["welcome"] = True
            return redirect(url_for("accounts.dashboard"))
    for kind, policy in in_force.items():  # shown again: the versions in force now
        form[f"{kind}_version"].data = policy.version if policy else ""
    return _render("accounts/signup.html", form, refused=registered is not None, in_force=in_force)


@bp.get("/confirm/<token>")
def confirm(token: str):
    try:
        with transaction():
            user = account_service.confirm_email(token)
    except Invalid as error:  # a link of its own: the page says why it no longer works
        return render_template("accounts/token_invalid.html", message=error.fields["token"],
                               purpose="confirm"), 400
    flash(_("Thank you, your email address %(email)s is confirmed.", email=user.email), "success")
    if current_user.is_authenticated:
        return redirect(url_for("accounts.dashboard"))
    return redirect(url_for("accounts.login"))


@bp.route("/confirm/resend", methods=["GET", "POST"])
@limiter.limit(ratelimits.PASSWORD_RESET, methods=["POST"])
def resend_confirmation():
    form = EmailForm()
    if request.method == "GET" and current_user.is_authenticated:
        form.email.data = current_user.email
    if form.validate_on_submit() and perform(
            lambda: account_service.resend_confirmation(form.email.data), form=form):
        flash(_("If an unconfirmed account exists for %(email)s, we sent it a new confirmation link.",
                email=form.email.data.strip()), "success")
        return redirect(url_for("accounts.dashboard") if current_user.is_authenticated
                        else url_for("accounts.login"))
    return _render("accounts/resend.html", form)


# --------------------------------------------------------------------------- sign-in, sign-out


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(ratelimits.SIGN_IN, methods=["POST"])
def login():
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("accounts.dashboard"))
    form = SignInForm()
    error, status = None, 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        with transaction():  # commits a failure's count even when the sign-in is refused
            attempt = account_service.attempt_sign_in(form.email.data, form.password.data)
        try:
            user = attempt.result()
        except (Unauthorized, sign_ins.TooManyAttempts) as refused:  # shown on the form
            error, status = refused.message, refused.status if refused.status == 429 else 422
        else:
            if user.two_factor_enabled:  # staff two-factor sign-in: the code next
                from app.rights.views import ask_for_code

                return ask_for_code(user, bool(form.remember.data), next_url)
            _sign_in(user, remember=bool(form.remember.data))
            flash(_("Welcome back, %(name)s.", name=user.display_name), "success")
            return redirect(next_url or url_for("accounts.dashboard"))
    return render_template("accounts/login.html", form=form, error=error, next_url=next_url), status


@bp.post("/logout")
def logout():
    """Sign out: the server-side session and its remember-me token end, so a copy of either
    cookie no longer works."""
    with transaction():
        sign_ins.end_session(security.current_session_id())
    logout_user()
    session.clear()
    security.forget_browser()
    flash(_("You are signed out."), "info")
    return redirect(url_for("main.home"))


# --------------------------------------------------------------------------- passwords


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(ratelimits.PASSWORD_RESET, methods=["POST"])
def forgot_password():
    form = EmailForm()
    if form.validate_on_submit() and perform(
            lambda: account_service.request_password_reset(form.email.data), form=form):
        return render_template("accounts/forgot_sent.html", email=form.email.data.strip())
    return _render("accounts/forgot.html", form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        account_service.user_for_reset_token(token)
    except Invalid as error:
        return render_template("accounts/token_invalid.html", message=error.fields["token"],
                               purpose="reset"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        reset = perform(lambda: account_service.reset_password(token, form.password.data),
                        form=form)
        if reset:
            _sign_in(reset.value)
            flash(_("Your new password is set, and you are signed in."), "success")
            return redirect(url_for("accounts.dashboard"))
    return _render("accounts/reset.html", form, token=token)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        keep = security.current_session_id()
        if perform(lambda: account_service.change_password(user, form.current_password.data,
                                                           form.new_password.data,
                                                           keep_session=keep), form=form):
            # Every other session ended; this one goes on under the new security stamp.
            session["_user_id"] = user.get_id()
            flash(_("Your password is changed. Other devices have been signed out."), "success")
            return redirect(url_for("accounts.change_password"))
    return _render("accounts/password.html", form, tab="password")


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
@limiter.limit(ratelimits.PASSWORD_RESET, methods=["POST"])
def change_email():
    """Ask for a new address: a confirmation link goes to it; the old one is told afterwards."""
    form = ChangeEmailForm()
    sent = None
    if form.validate_on_submit():
        user = current_user._get_current_object()
        sent = perform(lambda: account_service.request_email_change(
            user, form.email.data, form.password.data), form=form)
        if sent:
            flash(_("We sent a confirmation link to %(email)s. Your address changes when you "
                    "open it (within 24 hours).", email=sent.value), "success")
            return redirect(url_for("accounts.change_email"))
    return _render("accounts/email.html", form, refused=sent is not None, tab="email")


@bp.get("/account/email/confirm/<token>")
def confirm_email_change(token: str):
    try:
        with transaction():
            user = account_service.confirm_email_change(token)
    except (Invalid, Conflict) as error:
        message = error.fields.get("token", error.message) if isinstance(error, Invalid) \
            else error.message
        return render_template("accounts/token_invalid.html", message=message,
                               purpose="email"), 400
    flash(_("Your email address is now %(email)s.", email=user.email), "success")
    if current_user.is_authenticated:
        return redirect(url_for("accounts.change_email"))
    return redirect(url_for("accounts.login"))


@bp.get("/account/sessions")
@login_required
def sessions():
    user = current_user._get_current_object()
    return render_template("accounts/sessions.html", tab="sessions",
                           sessions=sign_ins.active_sessions(user),
                           current=security.current_session_id())


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    user = current_user._get_current_object()
    if perform(lambda: sign_ins.end_one_session(user, session_id), validate=EmptyForm()):
        flash(_("That device is signed out."), "success")
    return redirect(url_for("accounts.sessions"))


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions():
    user, keep = current_user._get_current_object(), security.current_session_id()
    ended = perform(lambda: sign_ins.end_sessions(user, keep=keep), validate=EmptyForm())
    if ended:
        flash(_("All other devices are signed out (%(n)s).", n=ended.value), "success")
    return redirect(url_for("accounts.sessions"))


# --------------------------------------------------------------------------- profile and settings


@bp.route("/account/profile", methods=["GET", "POST"])
@login_required
def edit_profile():
    user = current_user._get_current_object()
    form = ProfileForm(obj=user if request.method == "GET" else None)
    if form.validate_on_submit():
        upload = form.avatar.data
        data = None
        if upload and getattr(upload, "filename", ""):
            data = upload.read(current_app.config["IMAGE_MAX_BYTES"] + 1)
        if perform(lambda: account_service.update_profile(
                user, form.display_name.data, form.bio.data or "", avatar=data,
                remove_avatar=bool(form.remove_avatar.data)),
                form=form, done=_("Your profile is saved.")):
            return redirect(url_for("accounts.edit_profile"))
        db.session.refresh(user)
    return _render("accounts/profile_edit.html", form, tab="profile", user=user)


@bp.route("/account/settings", methods=["GET", "POST"])
@login_required
def settings():
    user = current_user._get_current_object()
    data = None
    if request.method == "GET":
        data = {"locale": user.locale or "", "time_zone": user.time_zone or "",
                **{f"pref_{category}": delivery for category, delivery
                   in notification_service.preferences(user).items()}}
    form = SettingsForm(data=data)
    if form.validate_on_submit() and perform(
            lambda: account_service.update_settings(
                user, locale=form.locale.data or "", time_zone=form.time_zone.data or "",
                notification_preferences=form.preferences()),
            form=form, done=_("Your settings are saved.")):
        response = redirect(url_for("accounts.settings"))
        # An explicit choice here beats a language picked earlier from the footer.
        response.delete_cookie("lang")
        return response
    return _render("accounts/settings.html", form, tab="settings")


@bp.route("/account/privacy", methods=["GET", "POST"])
@login_required
def privacy():
    """The member's consents (personalisation, marketing mail) and their history."""
    user = current_user._get_current_object()
    form = PrivacyForm(data={"personalisation": user.personalisation,
                             "marketing_mail": user.marketing_mail}
                       if request.method == "GET" else None)
    if form.validate_on_submit() and perform(
            lambda: consent_service.set_consents(
                user, personalisation=bool(form.personalisation.data),
                marketing_mail=bool(form.marketing_mail.data), **_origin()),
            form=form, done=_("Your privacy choices are saved.")):
        return redirect(url_for("accounts.privacy"))
    return _render("accounts/privacy.html", form, tab="privacy",
                   history=consent_service.history(user)[:20],
                   acceptances=policy_service.acceptances(user)[:20])


@bp.get("/avatars/<key>/<size>")
def avatar(key: str, size: str):
    """A member's picture: cached by everyone, except a blocked member's (staff only)."""
    viewer = current_user if current_user.is_authenticated else None
    name, public = account_service.avatar_to_serve(viewer, key, size)
    try:
        return storage.send(name, OUTPUT_CONTENT_TYPE, public=public)
    except FileNotFoundError:
        abort(404)


# --------------------------------------------------------------------------- dashboard


@bp.get("/me")
@login_required
def dashboard():
    user = current_user._get_current_object()
    mine = select(IdeaCreator.idea_id).where(IdeaCreator.user_id == user.id)
    my_ideas = db.session.scalars(
        visible_ideas(user, listing=False).where(Idea.id.in_(mine))
        .order_by(Idea.updated_at.desc(), Idea.id.desc())).unique().all()
    supported_stmt = visible_ideas(user).join(Support, Support.idea_id == Idea.id) \
        .where(Support.user_id == user.id)
    followed_stmt = visible_ideas(user).join(IdeaFollow, IdeaFollow.idea_id == Idea.id) \
        .where(IdeaFollow.user_id == user.id)
    supported = db.session.scalars(supported_stmt.order_by(Support.created_at.desc())
                                   .limit(DASHBOARD_LIMIT)).unique().all()
    followed = db.session.scalars(followed_stmt.order_by(IdeaFollow.created_at.desc())
                                  .limit(DASHBOARD_LIMIT)).unique().all()
    counts = {
        "supported": _count(supported_stmt),
        "followed": _count(followed_stmt),
    }
    return render_template("accounts/dashboard.html", user=user, my_ideas=my_ideas,
                           supported=supported, followed=followed, counts=counts,
                           numbers=people.numbers(user), brought=referrals.recent(user),
                           welcome=session.pop("welcome", False))


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


# --------------------------------------------------------------------------- notifications


@bp.get("/notifications")
@login_required
def notifications():
    user = current_user._get_current_object()
    page = page_arg()
    total = db.session.scalar(select(func.count()).select_from(Notification)
                              .where(Notification.user_id == user.id)) or 0
    items = db.session.scalars(notification_service.for_user(user).limit(NOTIFICATIONS_PER_PAGE)
                               .offset((page - 1) * NOTIFICATIONS_PER_PAGE)).all()
    unread = sum(1 for item in items if item.read_at is None) if total <= NOTIFICATIONS_PER_PAGE \
        else notification_service.unread_count(user)
    return render_template("accounts/notifications.html", items=items, page=page,
                           per_page=NOTIFICATIONS_PER_PAGE, total=total, unread=unread)


@bp.post("/notifications/read")
@login_required
def mark_all_read():
    marked = perform(lambda: notification_service.mark_all_read(current_user._get_current_object()))
    if marked.value:
        flash(_("All notifications are marked read."), "success")
    return redirect(url_for("accounts.notifications"))


@bp.post("/notifications/<int:notification_id>/open")
@login_required
def open_notification(notification_id: int):
    with transaction():
        row = notification_service.mark_read(current_user._get_current_object(), notification_id)
    return redirect(safe_next(row.url) or url_for("accounts.notifications"))


# --------------------------------------------------------------------------- public profiles


@bp.get("/users/<int:user_id>")
def profile(user_id: int):
    viewer = current_user if current_user.is_authenticated else None
    user = db.session.get(User, user_id)
    if user is None or (user.is_blocked and not permissions.can(viewer, "block_user")):
        abort(404)
    theirs = select(IdeaCreator.idea_id).where(IdeaCreator.user_id == user.id)
    ideas = db.session.scalars(
        visible_ideas(viewer).where(Idea.id.in_(theirs))
        .order_by(Idea.published_at.desc(), Idea.id.desc()).limit(PROFILE_IDEAS_LIMIT)).unique().all()
    return render_template("accounts/profile.html", user=user, ideas=ideas,
                           badges=account_service.badges_for(user),
                           activity=account_service.recent_activity(viewer, user),
                           numbers=people.numbers(user),
                           is_following=people.is_following(viewer, user.id),
                           may_report=not user.is_blocked and permissions.can(
                               viewer, "report_member", user),
                           reported=user.id in moderation.reported_by(viewer, "user", [user.id]))


@bp.post("/users/<int:user_id>/report")
@limiter.limit(ratelimits.POSTING)
def report_member(user_id: int):
    if not current_user.is_authenticated:
        flash(_("Please sign in first."), "info")
        return redirect(url_for("accounts.login", next=url_for("accounts.profile",
                                                               user_id=user_id)))
    form = ReportForm()
    perform(lambda: moderation.report_member(current_user._get_current_object(), user_id,
                                             form.reason.data or ""),
            validate=form, done=_("Thank you: moderators will look at this member."))
    return redirect(url_for("accounts.profile", user_id=user_id))


@bp.post("/users/<int:user_id>/follow")
def follow_member(user_id: int):
    if not current_user.is_authenticated:
        return _sign_in_to_follow(user_id)
    perform(lambda: people.follow_member(current_user._get_current_object(), user_id),
            validate=EmptyForm(),
            done=_("You follow this member: you will hear of the ideas they publish and the "
                   "updates they post."))
    return redirect(url_for("accounts.profile", user_id=user_id))


@bp.post("/users/<int:user_id>/unfollow")
def unfollow_member(user_id: int):
    if not current_user.is_authenticated:
        return _sign_in_to_follow(user_id)
    perform(lambda: people.unfollow_member(current_user._get_current_object(), user_id),
            validate=EmptyForm(), done=_("You no longer follow this member."))
    return redirect(url_for("accounts.profile", user_id=user_id))


def _sign_in_to_follow(user_id: int):
    flash(_("Please sign in first."), "info")
    return redirect(url_for("accounts.login", next=url_for("accounts.profile", user_id=user_id)))
