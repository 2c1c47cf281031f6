"""The co-creation KPI dashboard (issue 16): every figure is a SQL aggregate a reviewer can
recompute by hand from the rows it names.

Periods are whole UTC days, `from` and `to` inclusive; the previous period is the one of the
same length just before. A rate is an exact fraction `{numerator, denominator}` (0/0 when there
is nothing to divide). Money is summed per currency in integer minor units.

| figure | definition |
|---|---|
| active_members | distinct members who supported, commented or created an idea in the period |
| supporters / commenters / creators | distinct members who supported / commented / created an idea |
| returning_members | active in the period and in the previous period |
| session_participation_rate | invitations to sessions that started in the period (not cancelled) whose invitee attended / all of them |
| satisfaction | the 1-5 answers about those sessions: mean (two decimals) and count |
| partner_continuation_rate | of the members who attended a session that started in the period, those who attended at least one other session (not cancelled, of the same scope) that started before the period's end |
| ideas_submitted / ideas_published | ideas whose submitted_at / published_at is in the period |
| unique_idea_rate | of the ideas published in the period, those not merged into another |
| insights_refined | ideas with a standing (not reverted) revision made in the period that changed a part of the insight (anything but the description; idea_revisions.changes) |
| qualified | ideas whose qualified_at is in the period |
| approved / in_production / on_sale | ideas that entered that status in the period (idea events) |
| commercialisation_rate | ideas on sale by the period's end / ideas published by its end |
| net_sales / royalties | sales recorded in the period, not reversed, per currency |
| payouts | payouts recorded in the period, per currency |
| share_visits / referred_signups / referred_supports | referral_events of kind visit / signup / support in the period |
| resonance_answers (resonance) | supports given in the period with a resonance answer (and per answer: me_too, someone_i_know, not_me) |
| product_test_reports | testers' reports written in the period (on tests of the scope's ideas) |
| survey_responses | survey answers given in the period (scoped: surveys of the scope's ideas, of the campaign, or of the scope's sessions; segment surveys only in the whole programme) |
| funnel | of the ideas submitted in the period: how many reached each step (ever), and the median days from the previous step |
| cohorts | members by sign-up month (the six months up to the period's end): the share active in each month since |

Filters: `category` (slug) and `campaign` (id) restrict every idea-related figure to the ideas
of that category / campaign (members: activity on those ideas). Queries use the indexes on
supports (created_at, user_id), comments (created_at, author_id), ideas (submitted_at,
published_at) and idea_events (to_status, created_at) of migration 0040_analytics, and the
created_at indexes of product_test_reports, survey_responses, idea_revisions and users, and
supports (created_at, resonance) where answered (0048_kpi_learning). bench/README.md ("KPI
dashboard") has the times at scale: SQL aggregates cost what the period holds.
"""
from __future__ import annotations

import statistics
from decimal import Decimal
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, and_, distinct, exists, func, literal_column, or_, select, text, union

from app.errors import Invalid
from app.extensions import db
from app.i18n import _
from app.models import Category, Comment, Idea, IdeaEvent, Support, User
from app.models.insight import RESONANCES, IdeaRevision
from app.models.ledger import LedgerTransaction, Payout, Sale
from app.models.products import Product

#: The dashboard's sections, in order (each a dict of figures, and in `previous`).
SECTIONS = ("participation", "creativity", "relationship", "outcomes", "learning", "reach")
#: The funnel's steps, in order.
FUNNEL_STEPS = ("submitted", "published", "first_milestone", "qualified", "approved", "on_sale")
#: The longest period the dashboard answers for (days).
MAX_PERIOD_DAYS = 3660
COHORT_MONTHS = 6


@dataclass(frozen=True)
class Scope:
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive, UTC
    category_id: int | None = None
    campaign_id: int | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def previous(self) -> Scope:
        return Scope(self.start - (self.end - self.start), self.start, self.category_id, self.campaign_id)


def _day(value: str | date | None, name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise Invalid({name: _("A date as YYYY-MM-DD.")}) from None


def scope(from_: str | date | None, to: str | date | None, category: str | None = None,
          campaign: str | int | None = None, *, today: date | None = None) -> Scope:
    """The period and filters of a request, validated (422 with field errors)."""
    today = today or datetime.now(UTC).date()
    to_day = _day(to, "to") if to not in (None, "") else today
    from_day = _day(from_, "from") if from_ not in (None, "") else to_day - timedelta(days=29)
    errors = {}
    if from_day > to_day:
        errors["from"] = _("The period starts after it ends.")
    elif (to_day - from_day).days + 1 > MAX_PERIOD_DAYS:
        errors["from"] = _("At most %(days)s days.", days=MAX_PERIOD_DAYS)
    category_id = campaign_id = None
    if category not in (None, ""):
        category_id = db.session.scalar(select(Category.id).where(Category.slug == category))
        if category_id is None:
            errors["category"] = _("No such category.")
    if campaign not in (None, ""):
        from app.models.campaigns import Campaign

        try:
            campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.id == int(campaign)))
        except (TypeError, ValueError, OverflowError):
            campaign_id = None
        if campaign_id is None:
            errors["campaign"] = _("No such campaign.")
    if errors:
        raise Invalid(errors)
    start = datetime.combine(from_day, time(), tzinfo=UTC)
    end = datetime.combine(to_day + timedelta(days=1), time(), tzinfo=UTC)
    return Scope(start, end, category_id, campaign_id)


def rate(numerator: int, denominator: int) -> dict:
    return {"numerator": int(numerator), "denominator": int(denominator)}


def _ideas_filter(s: Scope, idea_id_column=None):
    """The condition restricting to the scope's ideas (on Idea, or on a column holding an idea id)."""
    conditions = []
    if s.category_id is not None:
        conditions.append(Idea.category_id == s.category_id)
    if s.campaign_id is not None:
        conditions.append(Idea.campaign_id == s.campaign_id)
    if not conditions:
        return None
    if idea_id_column is None:
        return and_(*conditions)
    return idea_id_column.in_(select(Idea.id).where(*conditions))


def _within(column, s: Scope):
    return and_(column >= s.start, column < s.end)


def _scoped(stmt: Select, s: Scope, idea_id_column=None) -> Select:
    condition = _ideas_filter(s, idea_id_column)
    return stmt if condition is None else stmt.where(condition)


def _supporters(s: Scope) -> Select:
    return _scoped(select(Support.user_id.label("user_id")).where(_within(Support.created_at, s)),
                   s, Support.idea_id)


def _commenters(s: Scope) -> Select:
    return _scoped(select(Comment.author_id.label("user_id")).where(_within(Comment.created_at, s)),
                   s, Comment.idea_id)


def _creators(s: Scope) -> Select:
    return _scoped(select(Idea.owner_id.label("user_id")).where(_within(Idea.created_at, s)), s)


def _active(s: Scope):
    return union(_supporters(s), _commenters(s), _creators(s)).subquery()


def _count_distinct(stmt: Select) -> int:
    sub = stmt.subquery()
    return db.session.scalar(select(func.count(distinct(sub.c.user_id)))) or 0


def _count(stmt) -> int:
    return db.session.scalar(stmt) or 0


def _entered(status: str, s: Scope) -> int:
    stmt = select(func.count(distinct(IdeaEvent.idea_id))).where(
        IdeaEvent.to_status == status, _within(IdeaEvent.created_at, s))
    return _count(_scoped(stmt, s, IdeaEvent.idea_id))


def _active_and_returning(s: Scope) -> tuple[int, int]:
    """Members active in the period, and those of them active in the previous one too (one
    statement: the period's activity is read once)."""
    # A left join (hashed, spilling to disk in batches when large), not `IN (subquery)` inside
    # the FILTER: with a million members the subquery's set does not fit work_mem, and
    # PostgreSQL then re-reads it for every member of the period (minutes, not seconds).
    # Both sides are UNIONs, so each member is there once.
    now, before = _active(s), _active(s.previous())
    active, back = db.session.execute(
        select(func.count(), func.count(before.c.user_id))
        .select_from(now.outerjoin(before, before.c.user_id == now.c.user_id))).one()
    return int(active or 0), int(back or 0)


def participation(s: Scope, active_members: int) -> dict:
    return {
        "active_members": active_members,
        "supporters": _count_distinct(_supporters(s)),
        "commenters": _count_distinct(_commenters(s)),
        "creators": _count_distinct(_creators(s)),
        "session_participation_rate": _session_participation(s),
    }


def _sessions_in(s: Scope, *, since_ever: bool = False):
    """Co-creation sessions that started in the period (`since_ever`: before its end) of the
    scope's idea or campaign, not those cancelled."""
    from app.models.cocreation import CoSession

    started = CoSession.starts_at < s.end if since_ever else _within(CoSession.starts_at, s)
    stmt = select(CoSession.id).where(started, CoSession.cancelled_at.is_(None))
    if s.category_id is not None or s.campaign_id is not None:
        conditions = [CoSession.idea_id.in_(select(Idea.id).where(_ideas_filter(s)))]
        if s.campaign_id is not None:
            conditions.append(CoSession.campaign_id == s.campaign_id)
        stmt = stmt.where(or_(*conditions))
    return stmt


def _session_participation(s: Scope) -> dict:
    """Of the invitations to sessions that started in the period, those whose invitee attended."""
    from app.models.cocreation import SessionInvitation

    invited = select(func.count()).select_from(SessionInvitation).where(
        SessionInvitation.session_id.in_(_sessions_in(s)))
    attended = invited.where(SessionInvitation.attended_at.is_not(None))
    return rate(_count(attended), _count(invited))


def _satisfaction(s: Scope) -> dict:
    """The mean (two decimals) and count of the 5-point answers about sessions of the period."""
    from app.models.cocreation import SessionFeedback

    total, count = db.session.execute(select(func.sum(SessionFeedback.satisfaction), func.count())
                                      .where(SessionFeedback.session_id.in_(_sessions_in(s)))).one()
    count = int(count or 0)
    mean = None if not count else float(round(Decimal(int(total)) / count, 2))
    return {"mean": mean, "count": count}


def _partner_continuation(s: Scope) -> dict:
    """Of the members who attended a session of the period, those who attended another one
    (started before the period's end)."""
    from app.models.cocreation import SessionInvitation

    attended = SessionInvitation.attended_at.is_not(None)
    attendees = select(distinct(SessionInvitation.user_id)).where(
        attended, SessionInvitation.session_id.in_(_sessions_in(s)))
    again = select(SessionInvitation.user_id).where(
        attended, SessionInvitation.session_id.in_(_sessions_in(s, since_ever=True)),
        SessionInvitation.user_id.in_(attendees)).group_by(SessionInvitation.user_id) \
        .having(func.count(distinct(SessionInvitation.session_id)) >= 2).subquery()
    return rate(_count(select(func.count()).select_from(again)),
                _count(select(func.count()).select_from(attendees.subquery())))


def _changes_insight():
    """A revision's `changes` name an insight part (anything but the description)."""
    if db.engine.dialect.name == "postgresql":
        return text("EXISTS (SELECT 1 FROM json_array_elements(idea_revisions.changes) AS c "
                    "WHERE c->>'field' <> 'description')")
    return text("EXISTS (SELECT 1 FROM json_each(idea_revisions.changes) AS c "
                "WHERE json_extract(c.value, '$.field') <> 'description')")


def _insights_refined(s: Scope) -> int:
    stmt = select(func.count(distinct(IdeaRevision.idea_id))).where(
        _within(IdeaRevision.created_at, s), IdeaRevision.state == "published", _changes_insight())
    return _count(_scoped(stmt, s, IdeaRevision.idea_id))


def creativity(s: Scope) -> dict:
    published = _scoped(select(func.count()).select_from(Idea).where(_within(Idea.published_at, s)), s)
    unique = _scoped(select(func.count()).select_from(Idea).where(
        _within(Idea.published_at, s), Idea.merged_into_id.is_(None)), s)
    published_count = _count(published)
    return {
        "ideas_submitted": _count(_scoped(select(func.count()).select_from(Idea)
                                          .where(_within(Idea.submitted_at, s)), s)),
        "ideas_published": published_count,
        "unique_idea_rate": rate(_count(unique), published_count),
        "insights_refined": _insights_refined(s),
    }


def relationship(s: Scope, returning_members: int) -> dict:
    return {"returning_members": returning_members, "satisfaction": _satisfaction(s),
            "partner_continuation_rate": _partner_continuation(s)}


def _money(rows) -> list[dict]:
    return [{"amount": int(amount), "currency": currency} for currency, amount in sorted(rows)]


def outcomes(s: Scope) -> dict:
    reversed_ = exists().where(LedgerTransaction.reverses_id == Sale.transaction_id)
    sales = select(Sale.currency, func.sum(Sale.net_sales_minor), func.sum(Sale.royalty_minor)) \
        .where(_within(Sale.created_at, s), ~reversed_).group_by(Sale.currency)
    condition = _ideas_filter(s)
    if condition is not None:
        sales = sales.where(Sale.product_id.in_(select(Product.id).join(Idea, Idea.id == Product.idea_id)
                                                .where(condition)))
    sale_rows = db.session.execute(sales).all()
    payout_reversed = exists().where(LedgerTransaction.reverses_id == Payout.transaction_id)
    payouts = db.session.execute(select(Payout.currency, func.sum(Payout.amount_minor)).where(
        _within(Payout.created_at, s), ~payout_reversed).group_by(Payout.currency)).all()
    on_sale_by_end = _scoped(select(func.count(distinct(IdeaEvent.idea_id))).where(
        IdeaEvent.to_status == "on_sale", IdeaEvent.created_at < s.end), s, IdeaEvent.idea_id)
    published_by_end = _scoped(select(func.count()).select_from(Idea).where(
        Idea.published_at < s.end), s)
    return {
        "qualified": _count(_scoped(select(func.count()).select_from(Idea)
                                    .where(_within(Idea.qualified_at, s)), s)),
        "approved": _entered("approved", s),
        "in_production": _entered("in_production", s),
        "on_sale": _entered("on_sale", s),
        "commercialisation_rate": rate(_count(on_sale_by_end), _count(published_by_end)),
        "net_sales": _money((c, net) for c, net, _r in sale_rows),
        "royalties": _money((c, royalty) for c, _n, royalty in sale_rows),
        "payouts": _money(payouts),
    }


def learning(s: Scope) -> dict:
    """What the programme heard in the period: the supporters' resonance answers (in all and
    per answer), the testers' reports and the survey answers."""
    from app.models.cocreation import CoSession, ProductTest, ProductTestReport
    from app.models.surveys import Survey, SurveyResponse

    resonance = dict(db.session.execute(_scoped(
        select(Support.resonance, func.count()).where(_within(Support.created_at, s),
                                                      Support.resonance.is_not(None)),
        s, Support.idea_id).group_by(Support.resonance)).all())
    reports = select(func.count()).select_from(ProductTestReport).where(
        _within(ProductTestReport.created_at, s))
    responses = select(func.count()).select_from(SurveyResponse).where(
        _within(SurveyResponse.created_at, s))
    condition = _ideas_filter(s)
    if condition is not None:
        scope_ideas = select(Idea.id).where(condition)
        reports = reports.where(ProductTestReport.test_id.in_(
            select(ProductTest.id).where(ProductTest.idea_id.in_(scope_ideas))))
        surveys = [Survey.idea_id.in_(scope_ideas),
                   Survey.session_id.in_(select(CoSession.id).where(CoSession.idea_id.in_(scope_ideas)))]
        if s.campaign_id is not None:
            surveys += [Survey.campaign_id == s.campaign_id,
                        Survey.session_id.in_(select(CoSession.id)
                                              .where(CoSession.campaign_id == s.campaign_id))]
        responses = responses.where(SurveyResponse.survey_id.in_(select(Survey.id).where(or_(*surveys))))
    return {
        "resonance_answers": int(sum(resonance.values())),
        "resonance": {answer: int(resonance.get(answer, 0)) for answer in RESONANCES},
        "product_test_reports": _count(reports),
        "survey_responses": _count(responses),
    }


def reach(s: Scope) -> dict:
    """What members' share links brought in the period (referral_events by kind; a sign-up
    has no idea, so the idea filters leave sign-ups out)."""
    from app.models.people import ReferralEvent

    stmt = select(ReferralEvent.kind, func.count()).where(_within(ReferralEvent.created_at, s))
    condition = _ideas_filter(s, ReferralEvent.idea_id)
    if condition is not None:
        stmt = stmt.where(condition)
    counts = dict(db.session.execute(stmt.group_by(ReferralEvent.kind)).all())
    return {"share_visits": int(counts.get("visit", 0)), "referred_signups": int(counts.get("signup", 0)),
            "referred_supports": int(counts.get("support", 0))}


def _first_event(condition):
    return select(func.min(IdeaEvent.created_at)).where(IdeaEvent.idea_id == Idea.id, condition) \
        .correlate(Idea).scalar_subquery()


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def funnel(s: Scope) -> list[dict]:
    """Of the ideas submitted in the period, how many reached each step, and the median days
    (one decimal) from the previous step among those that reached it."""
    stmt = _scoped(select(
        Idea.submitted_at, Idea.published_at,
        _first_event(IdeaEvent.kind == "milestone_reached"), Idea.qualified_at,
        _first_event(IdeaEvent.to_status == "approved"), _first_event(IdeaEvent.to_status == "on_sale"),
    ).where(_within(Idea.submitted_at, s)), s)
    rows = [[_aware(v) for v in row] for row in db.session.execute(stmt)]
    steps = []
    previous_count = None
    for i, step in enumerate(FUNNEL_STEPS):
        reached = [row for row in rows if all(row[j] is not None for j in range(i + 1))] if i else \
            [row for row in rows if row[0] is not None]
        gaps = [(row[i] - row[i - 1]).total_seconds() / 86400 for row in reached] if i else []
        steps.append({
            "step": step, "count": len(reached),
            "conversion": rate(len(reached), previous_count) if previous_count is not None else None,
            "median_days_from_previous": round(statistics.median(gaps), 1) if gaps else None,
        })
        previous_count = len(reached)
    return steps


def _month(column):
    """YYYY-MM of a UTC timestamp, written out literally so that GROUP BY matches the SELECT."""
    if db.engine.dialect.name == "postgresql":
        return func.to_char(func.timezone(literal_column("'UTC'"), column), literal_column("'YYYY-MM'"))
    return func.strftime(literal_column("'%Y-%m'"), column)


def _months_back(end: datetime, n: int) -> list[str]:
    year, month = (end - timedelta(microseconds=1)).year, (end - timedelta(microseconds=1)).month
    months = []
    for _i in range(n):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(months))


def cohorts(s: Scope) -> list[dict]:
    """Members by sign-up month (the COHORT_MONTHS months up to the period's end) and how many
    of them were active in each month since (counts; the share is count / size)."""
    months = _months_back(s.end, COHORT_MONTHS)
    first = datetime.fromisoformat(months[0] + "-01").replace(tzinfo=UTC)
    window = Scope(first, s.end, s.category_id, s.campaign_id)
    joined = select(User.id).where(_within(User.created_at, window))  # the cohorts' members
    activity = union(
        _scoped(select(Support.user_id.label("user_id"), _month(Support.created_at).label("month"))
                .where(_within(Support.created_at, window), Support.user_id.in_(joined)),
                window, Support.idea_id),
        _scoped(select(Comment.author_id.label("user_id"), _month(Comment.created_at).label("month"))
                .where(_within(Comment.created_at, window), Comment.author_id.in_(joined)),
                window, Comment.idea_id),
        _scoped(select(Idea.owner_id.label("user_id"), _month(Idea.created_at).label("month"))
                .where(_within(Idea.created_at, window), Idea.owner_id.in_(joined)), window),
    ).subquery()
    signup = _month(User.created_at).label("cohort")
    sizes = dict(db.session.execute(select(signup, func.count()).where(
        _within(User.created_at, window)).group_by(signup)).all())
    active = db.session.execute(
        select(_month(User.created_at), activity.c.month, func.count(distinct(activity.c.user_id)))
        .join(activity, activity.c.user_id == User.id)
        .group_by(_month(User.created_at), activity.c.month)).all()
    counts = {(cohort, month): n for cohort, month, n in active}
    table = []
    for i, cohort in enumerate(months):
        table.append({"cohort": cohort, "size": int(sizes.get(cohort, 0)),
                      "active": [int(counts.get((cohort, month), 0)) for month in months[i:]]})
    return table


def series(s: Scope) -> list[dict]:
    """Per calendar month of the period: supports given, distinct supporters, ideas submitted."""
    month = _month(Support.created_at)
    supports = {m: (n, people) for m, n, people in db.session.execute(_scoped(
        select(month, func.count(), func.count(distinct(Support.user_id)))
        .where(_within(Support.created_at, s)).group_by(month), s, Support.idea_id))}
    submitted_month = _month(Idea.submitted_at)
    ideas = dict(db.session.execute(_scoped(select(submitted_month, func.count())
                                            .where(_within(Idea.submitted_at, s))
                                            .group_by(submitted_month), s)).all())
    months = []
    year, mon = s.start.year, s.start.month
    while (year, mon) <= ((s.end - timedelta(microseconds=1)).year, (s.end - timedelta(microseconds=1)).month):
        months.append(f"{year:04d}-{mon:02d}")
        year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return [{"month": m, "supports": int(supports.get(m, (0, 0))[0]),
             "supporters": int(supports.get(m, (0, 0))[1]), "ideas_submitted": int(ideas.get(m, 0))}
            for m in months]


def kpis(s: Scope) -> dict:
    """Every figure of the dashboard for the scope, and the previous period's for comparison."""
    def figures(sc: Scope) -> dict:
        active, returning = _active_and_returning(sc)
        return {"participation": participation(sc, active), "creativity": creativity(sc),
                "relationship": relationship(sc, returning), "outcomes": outcomes(sc),
                "learning": learning(sc), "reach": reach(sc)}

    current = figures(s)
    last = s.end - timedelta(days=1)
    previous = s.previous()
    return {
        "period": {"from": s.start.date().isoformat(), "to": last.date().isoformat(),
                   "previous": {"from": previous.start.date().isoformat(),
                                "to": (previous.end - timedelta(days=1)).date().isoformat()}},
        **current,
        "funnel": funnel(s),
        "cohorts": cohorts(s),
        "series": series(s),
        "previous": figures(previous),
    }


def tables(result: dict) -> dict[str, tuple[list[str], list[list]]]:
    """The dashboard's tables (header, rows) for the CSV export and the page."""
    figures = []
    for section in SECTIONS:
        for name, value in result[section].items():
            before = result["previous"][section][name]
            figures.append([section, name, _cell(value), _cell(before)])
    funnel_rows = [[row["step"], row["count"], _cell(row["conversion"]),
                    "" if row["median_days_from_previous"] is None else row["median_days_from_previous"]]
                   for row in result["funnel"]]
    cohort_rows = [[row["cohort"], row["size"], *row["active"]] for row in result["cohorts"]]
    series_rows = [[row["month"], row["supports"], row["supporters"], row["ideas_submitted"]]
                   for row in result["series"]]
    learning_rows = [[f"resonance_{answer}", result["learning"]["resonance"][answer],
                      result["previous"]["learning"]["resonance"][answer]] for answer in RESONANCES]
    learning_rows += [[name, result["learning"][name], result["previous"]["learning"][name]]
                      for name in ("resonance_answers", "product_test_reports", "survey_responses")]
    return {
        "figures": (["section", "figure", "value", "previous_period"], figures),
        "learning": (["figure", "value", "previous_period"], learning_rows),
        "series": (["month", "supports", "supporters", "ideas_submitted"], series_rows),
        "funnel": (["step", "ideas", "conversion", "median_days_from_previous"], funnel_rows),
        "cohorts": (["cohort", "members", *[f"month_{i}" for i in range(COHORT_MONTHS)]], cohort_rows),
    }


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict) and "numerator" in value:
        return f"{value['numerator']}/{value['denominator']}"
    if isinstance(value, dict) and "mean" in value:
        return "" if value["mean"] is None else f"{value['mean']} (n={value['count']})"
    if isinstance(value, dict) and set(value) == set(RESONANCES):
        return "; ".join(f"{answer} {value[answer]}" for answer in RESONANCES)
    if isinstance(value, list):
        return "; ".join(f"{m['amount']} {m['currency']}" for m in value)
    return str(value)

