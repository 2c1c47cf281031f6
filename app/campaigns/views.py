"""HTML views: campaigns (list, page with entries and the vote, staff tools), campaign covers,
and staff picks on the idea page. Thin: each view calls one service function."""
from __future__ import annotations

from datetime import UTC

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions, storage
from app.campaigns import bp
from app.campaigns.forms import (ActionForm, CampaignForm, IdeasForm, OpenVoteForm,
                                 StaffPickForm, VoteForm)
from app.extensions import db
from app.images import OUTPUT_CONTENT_TYPE
from app.models.base import utcnow
from app.permissions import Action
from app.services import campaigns as service
from app.services import discovery
from app.services.ideas import categories as offered_categories
from app.transaction import perform
from app.web import page_arg

#: Sorts of a campaign's entries (those of /ideas that make sense within one campaign).
ENTRY_SORTS = ("trending", "supported", "newest")
PER_PAGE = 24


def _viewer():
    return current_user._get_current_object() if current_user.is_authenticated else None


@bp.get("/campaigns")
def index():
    page = page_arg()
    stmt = service.campaigns_query()
    rows = list(db.session.scalars(
        stmt.limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)).unique())
    more = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    return render_template("campaigns/index.html", campaigns=rows,
                           counts=service.entry_counts([c.id for c in rows]),
                           today=service.today(), page=page, more=more,
                           may_manage=permissions.can(current_user, Action.MANAGE_CAMPAIGNS))


@bp.route("/campaigns/new", methods=["GET", "POST"])
def new():
    permissions.require(current_user, Action.MANAGE_CAMPAIGNS)
    form = CampaignForm()
    form.set_categories(offered_categories())
    if form.validate_on_submit():
        upload = form.cover.data
        cover = upload.read() if upload and getattr(upload, "filename", "") else None
        created = perform(lambda: service.create_campaign(current_user, form.values(), cover),
                          form=form, done=_("The campaign is open."))
        if created:
            return redirect(url_for("campaigns.detail", campaign_id=created.value.id))
    status = 422 if request.method == "POST" else 200
    return render_template("campaigns/new.html", form=form), status


@bp.get("/campaigns/<int:campaign_id>")
def detail(campaign_id: int):
    campaign = service.get_campaign(campaign_id)
    viewer = _viewer()
    sort = request.args.get("sort") or "trending"
    if sort not in ENTRY_SORTS:
        sort = "trending"
    page = page_arg()
    try:
        listing = discovery.browse_page(viewer, sort=sort, campaign_id=campaign.id, page=page,
                                        after=request.args.get("after") or None,
                                        per_page=PER_PAGE)
    except (discovery.BadCursor, discovery.PageTooDeep):
        listing = discovery.browse_page(viewer, sort=sort, campaign_id=campaign.id,
                                        per_page=PER_PAGE)

    def page_url(page: int | None = None, after: str | None = None) -> str:
        return url_for("campaigns.detail", campaign_id=campaign.id,
                       sort=sort if sort != "trending" else None,
                       page=page if page and page > 1 else None, after=after)

    prev_url = page_url(listing.page - 1) if 1 < listing.page <= listing.numbered_pages else None
    next_url = None
    if listing.has_next:
        next_url = page_url(listing.page + 1) if listing.page < listing.numbered_pages \
            else page_url(after=listing.next_cursor) if listing.next_cursor else None
    now = utcnow()
    vote_state = campaign.vote_state(now)
    ballot = service.vote_of(viewer, campaign)
    return render_template(
        "campaigns/detail.html", campaign=campaign, listing=listing, ideas=listing.items,
        sort=sort, sorts={key: discovery.SORT_LABELS[key] for key in ENTRY_SORTS},
        sort_url=lambda key: url_for("campaigns.detail", campaign_id=campaign.id,
                                     sort=key if key != "trending" else None),
        prev_url=prev_url, next_url=next_url, entry_state=campaign.state(service.today()),
        vote_state=vote_state, shortlist=service.shortlist_of(campaign),
        show_counts=service.results_visible(campaign, now), my_vote=ballot,
        winners=service.winners_of(campaign), count=service.entry_counts([campaign.id]).get(
            campaign.id, 0),
        may_manage=permissions.can(current_user, Action.MANAGE_CAMPAIGNS),
        may_vote=permissions.can(current_user, Action.VOTE_IN_CAMPAIGN),
        vote_form=VoteForm(), ideas_form=IdeasForm(), open_vote_form=OpenVoteForm(),
        action_form=ActionForm())


def _back(campaign_id: int, anchor: str | None = None):
    return redirect(url_for("campaigns.detail", campaign_id=campaign_id, _anchor=anchor))


@bp.post("/campaigns/<int:campaign_id>/votes")
def vote(campaign_id: int):
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=url_for("campaigns.detail",
                                                               campaign_id=campaign_id)))
    form = VoteForm()
    perform(lambda: service.vote(current_user, campaign_id, form.idea_id.data), validate=form,
            done=_("Thank you: your vote is counted. Results show when the vote closes."))
    return _back(campaign_id, "vote")


@bp.post("/campaigns/<int:campaign_id>/shortlist")
def shortlist(campaign_id: int):
    form = IdeasForm()
    perform(lambda: service.shortlist(current_user, campaign_id, form.ids()), validate=form,
            done=_("The shortlist is saved."))
    return _back(campaign_id, "staff")


@bp.post("/campaigns/<int:campaign_id>/vote/open")
def open_vote(campaign_id: int):
    form = OpenVoteForm()
    closes = form.closes_at.data.replace(tzinfo=UTC) if form.closes_at.data else None
    perform(lambda: service.open_vote(current_user, campaign_id, closes), validate=form,
            done=_("The community vote is open."))
    return _back(campaign_id, "vote")


@bp.post("/campaigns/<int:campaign_id>/vote/close")
def close_vote(campaign_id: int):
    perform(lambda: service.close_vote(current_user, campaign_id), validate=ActionForm(),
            done=_("The vote is closed; the results show."))
    return _back(campaign_id, "vote")


@bp.post("/campaigns/<int:campaign_id>/winners")
def winners(campaign_id: int):
    form = IdeasForm()
    perform(lambda: service.pick_winners(current_user, campaign_id, form.ids()), validate=form,
            done=_("The winners are announced; entrants and voters are being told."))
    return _back(campaign_id, "winners")


@bp.get("/campaigns/covers/<key>/<size>")
def cover(key: str, size: str):
    name = service.cover_to_serve(key, size)
    try:
        return storage.send(name, OUTPUT_CONTENT_TYPE, public=True)
    except FileNotFoundError:
        abort(404)


@bp.post("/ideas/<int:idea_id>/staff-pick")
def staff_pick(idea_id: int):
    permissions.require(current_user, Action.STAFF_PICK)
    form = StaffPickForm()
    perform(lambda: service.staff_pick(current_user, idea_id, form.reason.data), validate=form,
            done=_("The idea is a staff pick; its creators are told."))
    return redirect(url_for("ideas.detail", idea_id=idea_id))
