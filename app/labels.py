"""Translated labels for the codes shown to people (idea statuses), and the catalogue entries of
messages that other modules translate from a variable (so `flask i18n update` extracts them).

Templates: {{ status_label(idea.status) }} (a Jinja global, registered in app.templating).
"""
from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import default_exceptions

from app import lifecycle

#: Idea statuses as people read them: kept in app.lifecycle with the statuses.
STATUS_LABELS = lifecycle.STATUS_LABELS

#: Review batch states, shown with {{ _(batch.status) }} in templates/admin and templates/review.
BATCH_STATUS_LABELS = {
    "open": _l("open"),
    "closed": _l("closed"),
    "published": _l("published"),
}

#: Messages translated elsewhere with gettext(variable); listed here only so they are extracted.
#: app.services.review.LEGEND (the matrix legend) and COI_MESSAGES (conflicts of interest):
DYNAMIC_MESSAGES = (
    _l("Clear, large value"), _l("Some value"), _l("Value unclear"),
    _l("Nothing like it from competitors"), _l("Partly unique"), _l("Similar to existing"),
    _l("Feasible with current resources"), _l("Feasible with more investment"),
    _l("Hard to realise"),
    _l("Large market expected"), _l("Medium market"), _l("Limited market"),
    _l("You created this idea, so you cannot review it: reviewers must be impartial."),
    _l("You are a co-creator of this idea, so you cannot review it: reviewers must be impartial."),
    _l("You supported this idea, so you cannot review it: reviewers must be impartial."),
    # app.images._MESSAGES (upload problems, translated by app.services.ideas):
    _l("This file is not an image. Please upload a JPEG, PNG, GIF or WebP picture."),
    _l("This image file is too large."),
    _l("This image has too many pixels."),
    _l("This image format is not supported. Please upload JPEG, PNG, GIF or WebP."),
    _l("This image file is incomplete or damaged. Please upload it again."),
    _l("This image cannot be accepted."),
    _l("This image has too many pixels to process: %(format)s pictures can have at most "
       "%(n)s megapixels. Save it as JPEG or make it smaller."),
    _l("This image is too large: each side can be at most %(n)s pixels."),
    _l("This image is too long and narrow: its long side can be at most %(n)s times its short "
       "side."),
    # app.storage (shown on the 507 error page):
    _l("There is no room left to store this file. Nothing was saved: please try again later."),
    _l("The file could not be stored right now. Nothing was saved: please try again later."),
    _l("This file cannot be loaded right now. Please try again later."),
    # app.permissions.REFUSALS (shown on HTML error pages and sign-in notices, or translated
    # when raised):
    _l("Please sign in first."), _l("This account is blocked."),
    _l("Please confirm your email address first."), _l("Only the idea's creators may do this."),
    _l("Only the idea's owner may do this."),
    _l("You cannot support your own idea."), _l("Only the author may do this."),
    _l("You cannot report your own comment."), _l("Only moderators may do this."),
    _l("Only reviewers may do this."), _l("Only admins may do this."),
    _l("Only finance staff may do this."), _l("Only staff may do this."), _l("Not allowed."),
    _l("Only product managers and admins may do this."),
    _l("Only community managers and admins may do this."),
    _l("Only analysts and admins may do this."),
    _l("Only an idea that is gathering support can be refined: once it qualified its "
       "description and insight are final, so reviewers judge what its supporters supported."),
    _l("Polls can be pinned only while the idea gathers support."),
    _l("Only the idea's creators, reviewers and admins see its evidence."),
    _l("Scoring is blind: submit your own scores to see the others'."),
    _l("This idea can only be changed while it is a draft or needs changes."),
    _l("Co-creators can only be changed while the idea is a draft."),
    _l("Only a draft or an idea that needs changes can be submitted."),
    _l("Only an idea that is gathering support can be withdrawn."),
    _l("Only a draft can be deleted."), _l("Only an expired idea can be submitted again."),
    _l("This idea is not waiting for moderation."), _l("This idea is not in a review batch."),
    _l("A decision has been made on this idea; scores can no longer change."),
    _l("You (co-)created this idea, so another staff member must act on it."),
    _l("You hold a staff role: an admin must remove it before you can delete your account."),
    # app.models.users.DELETED_MEMBER (a deleted account's name, read in the reader's language):
    _l("Deleted member"),
    _l("You cannot follow yourself."),
    _l("Only admins and community managers may do this."),
    _l("Only admins, community managers and analysts may see these results."),
)

#: What the HTML error page says for Werkzeug's stock errors (their descriptions are English).
HTTP_ERROR_MESSAGES = {
    400: _l("The request could not be understood. Please go back and try again."),
    403: _l("You do not have permission to open this page."),
    404: _l("The page you asked for does not exist. Check the address, or start again from "
            "the home page."),
    405: _l("This page cannot be used this way."),
    413: _l("The upload is too large."),
    429: _l("Too many requests in a short time. Please wait a moment and try again."),
    500: _l("Something went wrong on our side. Please try again in a moment."),
}


def status_label(status: str | None) -> str:
    """The idea status in the reader's language; unknown codes read as words."""
    return lifecycle.status_label(status)


def translated(message: str | None) -> str:
    """A message in the reader's language if the catalogue has it (e.g. a permission message
    from app.permissions); anything else unchanged."""
    return gettext(message) if message else ""


def http_error_message(status: int | None, description: str | None) -> str:
    """The error page text: ours for Werkzeug's stock descriptions, else the given one."""
    stock = default_exceptions.get(status or 0)
    if status in HTTP_ERROR_MESSAGES and (not description or stock is None
                                          or description == stock.description):
        return str(HTTP_ERROR_MESSAGES[status])
    return translated(description)

