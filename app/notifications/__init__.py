"""One-click unsubscribe from notification mails: /unsubscribe/<token> (no sign-in).

GET shows what the link stops and a button; POST applies it. A mail client's RFC 8058 one-click
POST (body `List-Unsubscribe=One-Click`, no cookies, no CSRF token) is answered 200 with a short
text. The token is signed (app.services.notifications.unsubscribe_token); a bad or forged one is
answered 404 and changes nothing.
"""
from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from app.extensions import csrf
from app.i18n import speaking_to
from app.services import notifications as notification_service
from app.transaction import transaction

bp = Blueprint("notifications", __name__)
csrf.exempt(bp)  # the signed token in the path is the proof; mail clients post without cookies


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str):
    user, scope = notification_service.read_unsubscribe_token(token)
    with speaking_to(user, own_request=True):
        return render_template("notifications/unsubscribe.html", token=token, done=False,
                               what=notification_service.scope_label(scope))


@bp.post("/unsubscribe/<token>")
def unsubscribe_apply(token: str):
    with transaction():
        user, scope = notification_service.unsubscribe(token)
    with speaking_to(user, own_request=True):
        what = notification_service.scope_label(scope)
        if request.form.get("List-Unsubscribe") == "One-Click":
            return _("You will no longer receive mails about %(what)s.", what=what), 200, \
                {"Content-Type": "text/plain; charset=utf-8"}
        return render_template("notifications/unsubscribe.html", token=token, done=True,
                               what=what)
