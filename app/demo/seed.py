"""flask seed-demo: believable demo data, in every state of the idea lifecycle.

Idempotent: when the demo accounts exist it only prints them again. Support rows are inserted in
bulk (with backdated times) and every idea's support_count is set from its rows; the review
stages use the real review services (batches, blind scores, decisions, publication, products).
"""
from __future__ import annotations

import io
import logging
import math
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import click
from flask import current_app
from sqlalchemy import func, insert, select, update
from werkzeug.security import generate_password_hash

from app import labels
from app.extensions import db
from app.models import (Agreement, Category, Comment, Consent, Idea, IdeaCreator, IdeaFollow,
                        IdeaImage, NotificationPreference, Support, Tag, User, UserRole)
from app.models.agreements import sha256_text
from app.models.base import utcnow
from app.notification_kinds import CATEGORIES as NOTIFICATION_CATEGORIES
from app.demo import bp
from app.demo.ideas import (AGREEMENT_TITLE, CATEGORIES, COMMENTS_EN, COMMENTS_JA, GUIDED,
                            DECISION_MESSAGES, DECISION_SCORES, FIRST_NAMES, IDEAS, LAST_NAMES,
                            OFFICIAL, RATIONALES, REPLIES, SUPPORT_REASONS, UPDATES, IdeaSpec,
                            agreement_text)
from app.services import events, support_days

PASSWORD = "kyoso-demo"
#: The milestones dev.py demo runs with (README): low enough that every reviewed demo idea really
#: reached the last one with the demo's supporters.
DEMO_MILESTONES = "10,25,50,100"
DOMAIN = "kyoso.local"

# (email local part, display name, roles, what to try with it)
ACCOUNTS = (
    ("admin", "Haruka Mori", ("admin",), "users, review batches, decisions, audit log"),
    ("reviewer1", "Takeshi Ito", ("reviewer",), "score ideas in review"),
    ("reviewer2", "Emma Clarke", ("reviewer",), "score ideas in review"),
    ("moderator", "Yuki Tanaka", ("moderator",), "moderation queue, reports, hidden ideas"),
    ("finance", "Daniel Okafor", ("finance",), "sales, royalties, payouts"),
    ("products", "Sora Kimura", ("product_manager",), "carry approved products to market"),
    ("alice", "Alice Chen", (), "creator and supporter; For you"),
    ("bob", "Bob Martin", (), "creator of a product on sale: My royalties"),
    ("carol", "Carol Nguyen", (), "creator and supporter"),
    ("daisuke", "小林 大輔", (), "creator (Japanese ideas)"),
    ("emi", "渡辺 恵美", (), "creator (Japanese ideas)"),
    ("frank", "Frank Müller", (), "creator and supporter"),
    ("hana", "鈴木 花", (), "co-creator with royalties in JPY and USD"),
    ("ken", "Ken Yamamoto", (), "creator and supporter"),
    ("newbie", "Nao Fujii", (), "new member: trending For you"),
)
CREATORS = ("alice", "bob", "carol", "daisuke", "emi", "frank", "hana", "ken")
JA_CREATORS = ("daisuke", "emi", "hana")
NOT_SUPPORTING = ("admin", "reviewer1", "reviewer2", "moderator", "finance", "products",
                  "newbie")

# The state of each idea, in the order of IDEAS; the first 16 cover every state, so a small
# `--ideas` run still shows the whole lifecycle. "+hidden" hides the idea by moderation.
PLAN = (
    "published", "on_sale", "in_review", "draft", "published", "pending_moderation",
    "needs_changes", "expired", "qualified", "approved", "not_approved", "on_hold",
    "in_production", "withdrawn", "published+hidden", "published",
    "published", "published", "on_sale", "published", "in_review", "published", "expired",
    "published", "published", "draft", "published", "not_approved", "published", "published",
    "pending_moderation", "published", "qualified", "published", "expired", "published",
    "on_sale", "published", "in_production", "published", "published", "approved", "published",
    "withdrawn", "published", "needs_changes", "published", "expired+hidden", "published",
    "in_review", "published", "draft", "published", "expired", "published", "published",
    "pending_moderation", "published", "published", "published",
)
# Supporters of the published ideas, in order (capped by the pool and the milestones).
LEVELS = (112, 64, 41, 33, 27, 22, 18, 15, 12, 10, 9, 8, 7, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0,
          0, 3, 2, 1, 0)
DECIDED = ("approved", "not_approved", "on_hold", "in_production", "on_sale")
PRE_PUBLICATION = ("draft", "pending_moderation", "needs_changes")
NEEDS_CHANGES_REASON = ("Thanks! Please add who exactly this is for (the N=1 insight) and a photo "
                        "or sketch, then submit again.")
HIDDEN_REASONS = ("Reported as a copy of an existing branded product; kept hidden while we check.",
                  "Contains a link to a shop selling a similar item.")

#: The story's calendar, in days before the seed runs. Batch A was decided and published long
#: enough ago that its products went to production and on sale (with months of sales since);
#: batch B is under review now. Every event falls in this order.
BATCH_A_OPENED, BATCH_A_CLOSED, BATCH_A_PUBLISHED = 270, 240, 230
ON_SALE_PRODUCTION_STARTED, ON_SALE_SINCE = 220, 185
PRODUCTION_STARTED, EXPECTED_IN = 60, 45
BATCH_B_OPENED, BATCH_B_CLOSED = 30, 20
#: Days from publication to the last milestone for ideas that reached it.
GATHERING_DAYS = 100
#: The demo shop (the links of the products on sale).
SHOP_URL = "https://shop.example.com/kyoso/{slug}"

log = logging.getLogger(__name__)


@dataclass
class Seeded:
    """What the run created, for the summary."""

    users: dict[str, User] = field(default_factory=dict)
    ideas: list[Idea] = field(default_factory=list)
    supports: int = 0
    comments: int = 0
    images: int = 0


# --- entry point --------------------------------------------------------------------------------

@bp.cli.command("seed-demo")
@click.option("--ideas", "idea_count", default=len(IDEAS), show_default=True,
              type=click.IntRange(1, len(IDEAS)), help="How many demo ideas to create.")
@click.option("--supporters", default=150, show_default=True, type=click.IntRange(0, 5000),
              help="How many extra supporter accounts to create.")
@click.option("--max-supports", default=700, show_default=True, type=click.IntRange(0),
              help="Upper bound on support rows in total.")
@click.option("--images/--no-images", default=True, show_default=True,
              help="Generate cover images with Pillow.")
@click.option("--seed", "random_seed", default=2024, show_default=True,
              help="Random seed (the same seed gives the same data).")
def seed_demo(idea_count: int, supporters: int, max_supports: int, images: bool,
              random_seed: int) -> None:
    """Create believable demo data (idempotent: prints the demo accounts if they exist)."""
    if db.session.scalar(select(User.id).where(User.email == f"admin@{DOMAIN}")) is not None:
        click.echo("Demo data already present. Demo accounts:")
        _print_accounts()
        return
    started = time.monotonic()
    with _quiet_mail():
        seeded = seed(idea_count=idea_count, supporters=supporters, max_supports=max_supports,
                      images=images, rng=random.Random(random_seed))
        db.session.commit()
    click.echo(f"Created {len(seeded.users)} demo accounts, {len(seeded.ideas)} ideas, "
               f"{seeded.supports} supports, {seeded.comments} comments and {seeded.images} "
               f"images in {time.monotonic() - started:.1f} s.")
    _print_accounts()


def _print_accounts() -> None:
    click.echo("")
    click.echo(f"  {'email':<24} {'password':<12} {'roles':<16} try")
    click.echo(f"  {'-' * 24} {'-' * 12} {'-' * 16} {'-' * 40}")
    for local, _name, roles, hint in ACCOUNTS:
        click.echo(f"  {local + '@' + DOMAIN:<24} {PASSWORD:<12} "
                   f"{', '.join(roles) or 'member':<16} {hint}")
    click.echo(f"  supporter001@{DOMAIN} ... also sign in with {PASSWORD!r} (plain members)")
    click.echo("")


@contextmanager
def _quiet_mail():
    """Notifications raised by the review services are not worth logging during a seed."""
    logger = logging.getLogger("kyoso.mail")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


# --- the seed ------------------------------------------------------------------------------------

def seed(*, idea_count: int = len(IDEAS), supporters: int = 150, max_supports: int = 700,
         images: bool = True, rng: random.Random | None = None) -> Seeded:
    """Create the demo data in the current transaction (the caller commits)."""
    rng = rng or random.Random(2024)
    now = utcnow()
    seeded = Seeded()
    categories = _categories()
    agreement = _agreement()
    password_hash = generate_password_hash(PASSWORD, method="scrypt")
    seeded.users = _accounts(password_hash, now)
    pool = _supporters(supporters, password_hash, now, rng)
    _policies(seeded.users, now)
    specs = IDEAS[:idea_count]
    plan = PLAN[:idea_count]
    tags = _tags({tag for spec in specs for tag in spec.tags})

    staff = seeded.users
    supporter_pool = [u for key, u in seeded.users.items() if key not in NOT_SUPPORTING] + pool
    last = current_app.config["SUPPORT_MILESTONES"][-1]
    if any(state.partition("+")[0] not in ("published", "expired", "withdrawn",
                                              *PRE_PUBLICATION) for state in plan) \
            and last > len(supporter_pool):
        raise click.UsageError(
            f"The demo's reviewed ideas must really have reached the last support milestone "
            f"({last:,}), but there are only {len(supporter_pool)} supporters: lower "
            f"SUPPORT_MILESTONES (dev.py demo uses {DEMO_MILESTONES}) or add --supporters.")
    budget = _support_budget(plan, len(supporter_pool), max_supports)

    level_index = 0
    for index, (spec, state) in enumerate(zip(specs, plan)):
        status, _, flag = state.partition("+")
        owner, co_creator = _creators_for(index, spec, seeded.users, pool)
        idea = _idea(spec, status, flag == "hidden", owner, categories, tags, now, rng)
        db.session.add(idea)
        db.session.flush()
        _add_creators(idea, owner, co_creator, agreement, status, rng)
        if images and (status not in PRE_PUBLICATION or index % 2 == 0):
            seeded.images += _add_images(idea, spec, index, rng)
        wanted = 0
        if status == "published":
            wanted = LEVELS[level_index % len(LEVELS)]
            level_index += 1
        elif status not in PRE_PUBLICATION:
            wanted = budget.get(status, 0)
        rows = _support_rows(idea, status, wanted, supporter_pool, {owner.id} | (
            {co_creator.id} if co_creator else set()), now, rng)
        seeded.supports += _insert_supports(rows)
        _lifecycle(idea, status, rows, staff, now, rng)
        if flag == "hidden":
            _hide(idea, staff["moderator"], HIDDEN_REASONS[index % len(HIDDEN_REASONS)], now)
        seeded.ideas.append(idea)

    db.session.flush()
    _sync_support_counts()
    support_days.rebuild([idea.id for idea in seeded.ideas])  # the evidence dashboards' days
    _review(seeded.ideas, plan, staff, now, rng)
    for idea in seeded.ideas:
        seeded.comments += _discussion(idea, seeded.users, supporter_pool, now, rng)
    _refresh_trending()
    db.session.flush()
    _sales(staff["finance"], now, rng)
    return seeded


def _sales(finance: User, now: datetime, rng: random.Random) -> None:
    """Monthly sales of every product on sale (one return among them) and a payout, so creators
    have royalties, statements and a chart to look at. Posted through the real ledger service."""
    from app.models import Product
    from app.services import ledger

    products = db.session.scalars(select(Product).join(Idea, Idea.id == Product.idea_id)
                                  .where(Idea.status == "on_sale").order_by(Product.id)).all()
    for number, product in enumerate(products):
        currency = product.price_currency or ("JPY" if number % 2 == 0 else "USD")
        unit_price = product.price_amount or {"JPY": 2480, "USD": 1650}[currency]  # minor units
        for months_ago in range(min(6, ON_SALE_SINCE // 31), 0, -1):  # full months on sale
            month = (now.year * 12 + now.month - 1) - months_ago
            period = f"{month // 12:04d}-{month % 12 + 1:02d}"
            units = rng.randint(300, 2400)
            net = units * unit_price
            ledger.record_sale(finance, product.id, period, units, net, currency,
                               f"demo-{product.id}-{period}", notify=months_ago == 1, audit=False)
        if number == 0:
            ledger.record_sale(finance, product.id, period, -12, -12 * unit_price, currency,
                               f"demo-{product.id}-{period}-return", notify=False, audit=False)
    for product in products[:1]:
        owner = product.splits[0].user_id
        balance = ledger.payable_balance(owner, "JPY")
        if balance > 0:
            ledger.record_payout(finance, owner, balance // 2, "JPY", f"demo-payout-{owner}")


# --- reference data ------------------------------------------------------------------------------

def _categories() -> dict[str, Category]:
    existing = {c.slug: c for c in db.session.scalars(select(Category))}
    for slug, name, name_ja in CATEGORIES:
        if slug not in existing:
            existing[slug] = Category(slug=slug, name=name, name_ja=name_ja)
            db.session.add(existing[slug])
    db.session.flush()
    return existing


def _agreement() -> Agreement:
    current = db.session.scalar(select(Agreement).order_by(Agreement.published_at.desc(),
                                                          Agreement.id.desc()).limit(1))
    if current is not None:
        return current
    text = agreement_text(current_app.config["ROYALTY_RATE_BPS"])
    agreement = Agreement(version="1", title=AGREEMENT_TITLE, text=text, sha256=sha256_text(text),
                          published_at=utcnow() - timedelta(days=400))
    db.session.add(agreement)
    db.session.flush()
    return agreement


def _policies(users: dict[str, User], now: datetime) -> None:
    """Version 1 of the member terms and the privacy policy (the starting texts), accepted by
    every demo member when they joined (the named accounts' acceptances recorded)."""
    from app.models import Policy, PolicyAcceptance
    from app.policies.defaults import default_text
    from app.services.policies import sha256_text as policy_digest

    published = {}
    for kind in ("terms", "privacy"):
        policy = db.session.scalar(select(Policy).where(Policy.kind == kind)
                                   .order_by(Policy.published_at.desc()).limit(1))
        if policy is None:
            en, ja = default_text(kind, "en"), default_text(kind, "ja")
            policy = Policy(kind=kind, version="1", text_en=en, text_ja=ja,
                            sha256_en=policy_digest(en), sha256_ja=policy_digest(ja),
                            published_at=now - timedelta(days=430))
            db.session.add(policy)
            db.session.flush()
        published[kind] = policy
    db.session.execute(update(User).values(terms_version=published["terms"].version,
                                           privacy_version=published["privacy"].version))
    for user in users.values():
        db.session.refresh(user, ["terms_version", "privacy_version"])
        for kind, policy in published.items():
            locale = user.locale or "en"
            db.session.add(PolicyAcceptance(
                user_id=user.id, policy_id=policy.id, kind=kind, version=policy.version,
                sha256=policy.sha256(locale), locale=locale, created_at=user.created_at,
                ip_address="192.0.2.10", user_agent="Mozilla/5.0 (demo data)"))
    db.session.flush()


def _accounts(password_hash: str, now: datetime) -> dict[str, User]:
    users = {}
    for index, (local, name, roles, _hint) in enumerate(ACCOUNTS):
        user = User(email=f"{local}@{DOMAIN}", display_name=name, password_hash=password_hash,
                    email_confirmed_at=now - timedelta(days=420 - index),
                    created_at=now - timedelta(days=420 - index),
                    locale="ja" if local in JA_CREATORS else None,
                    bio="" if local == "newbie" else f"{name} on Kyoso.")
        if local == "newbie":
            user.created_at = user.email_confirmed_at = now - timedelta(hours=3)
        for role in roles:
            user.role_rows.append(UserRole(role=role))
        db.session.add(user)
        users[local] = user
    db.session.flush()
    return users


def _supporters(count: int, password_hash: str, now: datetime, rng: random.Random) -> list[User]:
    """Plain members, inserted in bulk with one shared password hash."""
    if not count:
        return []
    rows = []
    for n in range(1, count + 1):
        # Most joined in the programme's first months (they support the ideas reviewed since),
        # some recently.
        joined = now - timedelta(days=rng.uniform(300, 430) if rng.random() < 0.8
                                 else rng.uniform(20, 300))
        rows.append({"email": f"supporter{n:03d}@{DOMAIN}",
                     "display_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                     "password_hash": password_hash, "bio": "", "email_confirmed_at": joined,
                     "created_at": joined, "security_stamp": 0,
                     # Two in five opted in to marketing mail; one in ten said no to
                     # personalisation (without drawing on rng: the rest of the data stays).
                     "marketing_mail": n % 5 < 2, "personalisation": n % 10 != 7})
    db.session.execute(insert(User), rows)
    supporters = list(db.session.scalars(select(User).where(User.email.like(
        f"supporter%@{DOMAIN}")).order_by(User.id)))
    choices = [(user.id, rng.choice(("immediately", "daily", "weekly", "app")))
               for user in supporters]
    preferences = [{"user_id": user_id, "category": category, "delivery": delivery}
                   for user_id, delivery in choices if delivery != "immediately"
                   for category in NOTIFICATION_CATEGORIES]
    if preferences:
        db.session.execute(insert(NotificationPreference), preferences)
    return supporters


def _tags(names: set[str]) -> dict[str, Tag]:
    existing = {t.name: t for t in db.session.scalars(select(Tag).where(Tag.name.in_(names)))}
    for name in sorted(names - set(existing)):
        existing[name] = Tag(name=name)
        db.session.add(existing[name])
    db.session.flush()
    return existing


# --- ideas ---------------------------------------------------------------------------------------

def _creators_for(index: int, spec: IdeaSpec, users: dict[str, User],
                  pool: list[User]) -> tuple[User, User | None]:
    if spec.ja:
        owner = users[JA_CREATORS[index % len(JA_CREATORS)]]
    elif index % 3 == 2 and pool:
        owner = pool[index % len(pool)]
    else:
        owner = users[CREATORS[index % len(CREATORS)]]
    co_creator = None
    if index % 5 == 1:  # some ideas are co-created
        co_creator = users["hana"] if owner is not users["hana"] else users["alice"]
    return owner, co_creator


def _description(spec: IdeaSpec) -> str:
    if spec.ja:
        features = "\n".join(f"- {feature}" for feature in spec.features)
        return (f"{spec.pitch}\n\n## どんな場面で\n\n{spec.situation}\n\n## 特徴\n\n{features}\n\n"
                f"想定価格はおよそ{spec.price:,}円です。ご意見をコメントでお聞かせください。")
    features = "\n".join(f"- {feature}" for feature in spec.features)
    return (f"{spec.pitch}\n\n## The moment it's for\n\n{spec.situation}\n\n"
            f"## What it does\n\n{features}\n\n"
            f"I imagine it at around ¥{spec.price:,}. Tell me in the comments what you would "
            f"change!")


def _idea(spec: IdeaSpec, status: str, hidden: bool, owner: User,
          categories: dict[str, Category], tags: dict[str, Tag], now: datetime,
          rng: random.Random) -> Idea:
    windows = current_app.config["SUPPORT_WINDOWS_DAYS"]
    idea = Idea(owner_id=owner.id, title=spec.title, pitch=spec.pitch,
                description=_description(spec), category_id=categories[spec.category].id,
                insight_situation=spec.situation, insight_emotion=spec.emotion,
                insight_purpose=spec.purpose, status="draft", hidden=hidden, trending_score=0)
    for part, text in GUIDED.get(spec.title, {}).items():
        setattr(idea, f"insight_{part}", text)
    idea.tags = [tags[name] for name in spec.tags]
    if status in PRE_PUBLICATION:
        created = now - timedelta(days=rng.uniform(1, 20))
    elif status == "published":
        created = now - timedelta(days=windows[0] * rng.uniform(0.05, 0.97) + 2)
    elif status in ("expired", "withdrawn"):
        created = now - timedelta(days=windows[0] * rng.uniform(1.3, 3.0) + 2)
    elif status == "qualified":  # qualified after batch B's intake closed: waits for the next
        created = now - timedelta(days=GATHERING_DAYS + rng.uniform(3, 15))
    elif status == "in_review":  # qualified after batch A, joined batch B
        created = now - timedelta(days=GATHERING_DAYS + rng.uniform(50, 90))
    else:  # decided in batch A: qualified before it opened
        created = now - timedelta(days=GATHERING_DAYS + rng.uniform(BATCH_A_OPENED + 10, 300))
    idea.created_at = idea.updated_at = created
    return idea


def _add_creators(idea: Idea, owner: User, co_creator: User | None, agreement: Agreement,
                  status: str, rng: random.Random) -> None:
    shares = [(owner, 10_000)] if co_creator is None else [(owner, 7_000), (co_creator, 3_000)]
    consented = status not in ("draft",)
    for person, share in shares:
        creator = IdeaCreator(idea_id=idea.id, user_id=person.id, is_owner=person is owner,
                              share_bps=share, invited_at=idea.created_at)
        if consented:
            consent = Consent(idea_id=idea.id, user_id=person.id, agreement_id=agreement.id,
                              agreement_version=agreement.version,
                              agreement_sha256=agreement.sha256, share_bps=share,
                              ip_address=f"192.0.2.{rng.randint(1, 254)}",
                              user_agent="Mozilla/5.0 (demo data)",
                              created_at=idea.created_at + timedelta(hours=1))
            db.session.add(consent)
            db.session.flush()
            creator.consent_id = consent.id
        db.session.add(creator)


def _support_budget(plan: tuple[str, ...], pool_size: int, max_supports: int) -> dict[str, int]:
    """Supporters per idea past publication (not gathering any more), by status, within the
    total budget left after the gathering ideas."""
    last = current_app.config["SUPPORT_MILESTONES"][-1]
    base = {"expired": 14, "withdrawn": 6}
    statuses = [state.partition("+")[0] for state in plan]
    gathering = sum(LEVELS[i % len(LEVELS)] for i in range(statuses.count("published")))
    others = sum(base.get(status, 0) for status in statuses)
    room = max(0, max_supports - gathering)
    if others > room:
        base = {status: int(value * room / others) for status, value in base.items()}
    # Reaching the last milestone qualifies an idea and freezes its supporter list: every idea
    # that got that far has exactly that many supporters (the seed refuses milestones that the
    # pool cannot reach, see seed()).
    for status in ("qualified", "in_review", *DECIDED):
        base[status] = min(last, pool_size)
    return base


def _support_rows(idea: Idea, status: str, wanted: int, pool: list[User], creators: set[int],
                  now: datetime, rng: random.Random) -> list[dict]:
    """Support rows with survey answers, spread over the time the idea gathered support."""
    milestones = current_app.config["SUPPORT_MILESTONES"]
    candidates = [u for u in pool if u.id not in creators]
    wanted = min(wanted, len(candidates))
    if status in ("published", "withdrawn"):
        wanted = min(wanted, milestones[-1] - 1)  # more would have qualified it
    if status == "expired":
        wanted = min(wanted, milestones[0] - 1)  # more would have met the first deadline
    start = idea.created_at + timedelta(days=1)  # published a day after it was created
    end = _support_end(idea, status, now)
    # Only members who had joined by then; each supports after joining.
    joined_in_time = [u for u in candidates if u.created_at < end - timedelta(hours=1)]
    if len(joined_in_time) >= wanted:
        candidates = joined_in_time
    price = _SPEC_PRICES.get(idea.title, 3000)
    rows = []
    for person in rng.sample(candidates, wanted):
        first = max(start, min(person.created_at, end - timedelta(hours=1)))
        span = max((end - first).total_seconds(), 60)
        # While gathering, recent supports are more frequent (that is what trending shows).
        share = math.sqrt(rng.random()) if status == "published" else rng.random()
        rows.append(_answers({"idea_id": idea.id, "user_id": person.id,
                              "created_at": first + timedelta(seconds=span * share)},
                             price, rng))
    rows.sort(key=lambda r: r["created_at"])
    if rows and status not in ("published", "expired", "withdrawn"):
        rows[-1]["created_at"] = end  # the support that reached the last milestone
    return rows


def _answers(row: dict, price: int, rng: random.Random) -> dict:
    """The supporter's survey answers, consistent with each other: a price only from those who
    would (maybe) buy, and a reason that fits the answer."""
    answer = rng.random()
    would_buy = rng.choices(("yes", "maybe", "no"), (60, 32, 8))[0] if answer < 0.85 else None
    row.update(would_buy=would_buy, price_minor=None, price_currency=None, reason=None)
    if answer < 0.6 and would_buy in ("yes", "maybe"):
        row["price_minor"] = int(round(price * rng.uniform(0.6, 1.4), -2))
        row["price_currency"] = "JPY"
    if answer < 0.4 or would_buy == "no":
        row["reason"] = rng.choice(SUPPORT_REASONS[would_buy or "unanswered"])
    return row


_SPEC_PRICES = {spec.title: spec.price for spec in IDEAS}


def _support_end(idea: Idea, status: str, now: datetime) -> datetime:
    windows = current_app.config["SUPPORT_WINDOWS_DAYS"]
    published = idea.created_at + timedelta(days=1)
    if status == "expired":
        return published + timedelta(days=windows[0])
    if status == "withdrawn":
        return published + timedelta(days=windows[0] * 0.6)
    if status == "published":
        return now - timedelta(minutes=5)
    # Reached the last milestone (qualified) by then.
    return min(published + timedelta(days=GATHERING_DAYS), now - timedelta(days=2))


def _insert_supports(rows: list[dict]) -> int:
    if rows:
        db.session.execute(insert(Support), rows)
        db.session.execute(insert(IdeaFollow), [
            {"idea_id": r["idea_id"], "user_id": r["user_id"], "created_at": r["created_at"]}
            for r in rows])
    return len(rows)


def _at(event, when: datetime):
    event.created_at = when
    return event


def _lifecycle(idea: Idea, status: str, supports: list[dict], staff: dict[str, User],
               now: datetime, rng: random.Random) -> None:
    """Walk the idea through its states up to `status`, recording each event at its time."""
    milestones = current_app.config["SUPPORT_MILESTONES"]
    windows = current_app.config["SUPPORT_WINDOWS_DAYS"]
    owner = db.session.get(User, idea.owner_id)
    moderator = staff["moderator"]
    created = idea.created_at
    _at(events.record(owner, "created", idea, to_status="draft"), created)
    if status == "draft":
        return
    submitted = created + timedelta(hours=rng.uniform(2, 20))
    idea.submitted_at = submitted
    _at(events.transition(owner, idea, "pending_moderation", "submitted"), submitted)
    if status == "pending_moderation":
        return
    if status == "needs_changes":
        idea.status_reason = NEEDS_CHANGES_REASON
        _at(events.transition(moderator, idea, "needs_changes", "needs_changes",
                              reason=NEEDS_CHANGES_REASON), submitted + timedelta(hours=5))
        return
    published = created + timedelta(days=1)
    idea.published_at = published
    _at(events.transition(moderator, idea, "published", "published"), published)
    idea.next_milestone, idea.deadline = milestones[0], published + timedelta(days=windows[0])
    # Milestones reached by the supports, each opening the next window.
    for number, row in enumerate(supports, start=1):
        if idea.next_milestone is not None and number == idea.next_milestone:
            _at(events.record(None, "milestone_reached", idea,
                              reason=f"{number} supporters"), row["created_at"])
            later = [i for i, m in enumerate(milestones) if m > number]
            if later:
                idea.next_milestone = milestones[later[0]]
                idea.deadline = row["created_at"] + timedelta(days=windows[later[0]])
    if status == "published":
        idea.updated_at = supports[-1]["created_at"] if supports else published
        return
    if status == "expired":
        _at(events.transition(None, idea, "expired", "expired",
                              reason=f"Missed the deadline for {idea.next_milestone} supporters"),
            idea.deadline + timedelta(hours=1))
        idea.closed_at = idea.updated_at = idea.deadline + timedelta(hours=1)
        return
    if status == "withdrawn":
        when = (supports[-1]["created_at"] if supports else published) + timedelta(days=2)
        _at(events.transition(owner, idea, "withdrawn", "withdrawn",
                              reason="I found a similar product already on sale."), when)
        idea.closed_at = idea.updated_at = when
        return
    # Qualified, and later the review stages (done by the review services in _review).
    qualified = supports[-1]["created_at"] if supports else published
    _at(events.transition(None, idea, "qualified", "qualified",
                          reason=labels.system_reason("qualified", n=milestones[-1])), qualified)
    idea.qualified_at = idea.updated_at = qualified
    idea.next_milestone = idea.deadline = None


def _hide(idea: Idea, moderator: User, reason: str, now: datetime) -> None:
    idea.hidden = True
    idea.hidden_reason = reason
    _at(events.record(moderator, "hidden", idea, reason=reason), now - timedelta(days=1))
    events.audit(moderator, "idea.hide", idea, before={"hidden": False},
                 after={"hidden": True}, reason=reason)


def _sync_support_counts() -> None:
    """support_count is exactly the number of support rows, for every idea."""
    counted = select(func.count()).select_from(Support).where(Support.idea_id == Idea.id)
    db.session.execute(update(Idea).values(support_count=counted.scalar_subquery(),
                                           updated_at=Idea.updated_at)
                       .execution_options(synchronize_session=False))
    db.session.expire_all()


def _refresh_trending() -> None:
    try:
        from app.services.milestones import refresh_trending
    except ImportError:  # pragma: no cover - the supports area provides it
        return
    refresh_trending()


# --- review: batches, scores, decisions, publication, products -----------------------------------

def _to_market(decided: list[Idea], targets: dict[int, str], manager: User,
               now: datetime) -> None:
    """Approved ideas whose demo state is later move on through production to the shop, by the
    product manager with the real product service (timeline, history, audit), then dated."""
    from app.models import Product, ProductPost
    from app.services import products

    on_sale = 0
    for idea in decided:
        target = targets[idea.id]
        if target not in ("in_production", "on_sale"):
            continue
        product = db.session.scalar(select(Product).where(Product.idea_id == idea.id))
        started = ON_SALE_PRODUCTION_STARTED if target == "on_sale" else PRODUCTION_STARTED
        expected = (now + timedelta(days=EXPECTED_IN)).date() if target == "in_production" \
            else (now - timedelta(days=ON_SALE_SINCE)).date()
        ja = _japanese(idea.title)
        products.set_stage(manager, product.id, "in_production", PRODUCTION_MESSAGE[ja],
                           expected_on=expected)
        _date_step(product, "in_production", now - timedelta(days=started))
        if target == "on_sale":
            currency = "JPY" if on_sale % 2 == 0 else "USD"
            on_sale += 1
            price = {"JPY": 2480, "USD": 1650}[currency]  # the unit price of the demo's sales
            products.set_stage(manager, product.id, "on_sale", ON_SALE_MESSAGE[ja],
                               shop_url=SHOP_URL.format(slug=f"p{product.id}"),
                               price={"amount": price, "currency": currency})
            _date_step(product, "on_sale", now - timedelta(days=ON_SALE_SINCE))
        update_day = started - 20 if target == "on_sale" else started - 25
        post = products.post_update(manager, product.id, DEVELOPMENT_UPDATE[ja])
        post.created_at = post.notified_at = now - timedelta(days=update_day)
        db.session.flush()
    # Told when it happened (the seed does not fan notifications out about the past).
    db.session.execute(update(ProductPost).where(ProductPost.notified_at.is_(None))
                       .values(notified_at=ProductPost.created_at))


# The staff's words on the product pages, in the language of the idea (True: Japanese).
PRODUCTION_MESSAGE = {
    False: "Tooling is ordered and the first production run is planned. Thank you to everyone "
           "who supported and commented: several of your suggestions are in the final design.",
    True: "金型を発注し、最初の生産を計画しました。サポートとコメントをくださった皆さん、ありがとう"
          "ございます。いただいた提案のいくつかは最終デザインに入っています。",
}
ON_SALE_MESSAGE = {
    False: "It is in our online shop now. The creators share in every sale.",
    True: "オンラインショップで発売しました。売上のたびに、作者の皆さんにロイヤリティが入ります。",
}
DEVELOPMENT_UPDATE = {
    False: "**Prototype two is ready.** We tested it with five supporters' families; the "
           "changes they asked for are in.",
    True: "**試作2号ができました。** サポーターのご家族5組に試していただき、いただいた要望を"
          "反映しました。",
}


def _japanese(text: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)


def _date_step(product, stage: str, when: datetime) -> None:
    """Date a product step (its timeline entry, the idea's history event) at `when`."""
    from app.models import IdeaEvent, ProductPost

    post = db.session.scalar(select(ProductPost).where(
        ProductPost.product_id == product.id, ProductPost.kind == stage))
    post.created_at = post.notified_at = when
    event = db.session.scalar(select(IdeaEvent).where(
        IdeaEvent.idea_id == product.idea_id, IdeaEvent.kind == "product_stage",
        IdeaEvent.to_status == stage))
    event.created_at = when
    product.stage_changed_at = when
    db.session.flush()


def _review(ideas: list[Idea], plan: tuple[str, ...], staff: dict[str, User], now: datetime,
            rng: random.Random) -> None:
    """Take the qualified ideas through the real review services: batch A decided and published
    (approved ideas become products), batch B still in review; on-hold ideas wait."""
    from app.services import review

    admin, reviewers = staff["admin"], (staff["reviewer1"], staff["reviewer2"])
    targets = {idea.id: state.partition("+")[0] for idea, state in zip(ideas, plan)}
    decided = [i for i in ideas if targets[i.id] in DECIDED]
    in_review = [i for i in ideas if targets[i.id] == "in_review"]
    waiting = [i for i in ideas if targets[i.id] == "qualified"]
    # Only the ideas of each batch are qualified when it opens; the others wait as "published".
    for idea in in_review + waiting:
        idea.status = "published"
    db.session.flush()

    batch_a = None
    if decided:
        batch_a = review.open_batch(
            admin, f"Review batch {(now - timedelta(days=BATCH_A_OPENED)):%B %Y}",
            (now - timedelta(days=BATCH_A_CLOSED)).date())
        review.close_batch(admin, batch_a.id)
    for idea in in_review:
        idea.status = "qualified"
    db.session.flush()
    batch_b = None
    if in_review:
        batch_b = review.open_batch(
            admin, f"Review batch {(now - timedelta(days=BATCH_B_OPENED)):%B %Y}",
            (now + timedelta(days=25)).date())
        review.close_batch(admin, batch_b.id)  # so on-hold ideas of batch A keep waiting
    for idea in decided:
        decision = "approved" if targets[idea.id] in ("approved", "in_production", "on_sale") \
            else targets[idea.id]
        for reviewer, scores in zip(reviewers, DECISION_SCORES[decision]):
            _score(review, reviewer, idea, scores)
        review.decide(admin, idea.id, decision, DECISION_MESSAGES[decision])
    if batch_a is not None:
        review.publish_batch(admin, batch_a.id)
        batch_a.opened_at = now - timedelta(days=BATCH_A_OPENED)
        batch_a.closed_at = now - timedelta(days=BATCH_A_CLOSED)
        batch_a.published_at = now - timedelta(days=BATCH_A_PUBLISHED)
    if in_review:  # the first idea of the current batch already has one score
        _score(review, reviewers[0], in_review[0], (3, 2, 2, 3))
    for idea in waiting:
        idea.status = "qualified"
    db.session.flush()
    _date_review(decided, in_review, batch_a, batch_b, now)
    _to_market(decided, targets, staff["products"], now)
    # "Recently approved" shows the latest step of each: on sale, in production, approved.
    for idea in decided:
        idea.updated_at = now - timedelta(days={
            "on_sale": ON_SALE_SINCE, "in_production": PRODUCTION_STARTED}.get(
            targets[idea.id], BATCH_A_PUBLISHED), hours=rng.uniform(0, 48))
    db.session.flush()


def _date_review(decided: list[Idea], in_review: list[Idea], batch_a, batch_b,
                 now: datetime) -> None:
    """The review services ran just now: put their events, products and notifications at the
    story's dates (batch A long ago, batch B this month), so every history reads in order."""
    from app.models import IdeaEvent, Notification, Product
    from app.models.review import Review, ReviewItem

    def date(ideas: list[Idea], kinds: tuple[str, ...], when: datetime, model=IdeaEvent) -> None:
        ids = [idea.id for idea in ideas] or [-1]
        stmt = update(model).where(model.idea_id.in_(ids))
        if model is IdeaEvent:
            stmt = stmt.where(IdeaEvent.kind.in_(kinds))
        elif model is Notification:
            stmt = stmt.where(Notification.kind.in_(kinds))
        db.session.execute(stmt.values(created_at=when).execution_options(
            synchronize_session=False))

    if batch_a is not None:
        opened = now - timedelta(days=BATCH_A_OPENED)
        published = now - timedelta(days=BATCH_A_PUBLISHED)
        date(decided, ("review_started",), opened)
        date(decided, ("idea_status",), opened, Notification)
        date(decided, ("review_decision",), published)
        date(decided, ("review_result", "idea_status"), published, Notification)
        for idea in decided:
            if idea.closed_at is not None:
                idea.closed_at = published
        db.session.execute(update(Product).where(Product.idea_id.in_(
            [idea.id for idea in decided] or [-1])).values(created_at=published,
                                                          stage_changed_at=published))
        items = select(ReviewItem.id).where(ReviewItem.batch_id == batch_a.id)
        db.session.execute(update(ReviewItem).where(ReviewItem.batch_id == batch_a.id).values(
            decided_at=published - timedelta(days=3)))
        db.session.execute(update(Review).where(Review.item_id.in_(items)).values(
            submitted_at=opened + timedelta(days=12), updated_at=opened + timedelta(days=12)))
    if batch_b is not None:
        opened = now - timedelta(days=BATCH_B_OPENED)
        batch_b.opened_at = opened
        batch_b.closed_at = now - timedelta(days=BATCH_B_CLOSED)
        date(in_review, ("review_started",), opened)
        date(in_review, ("idea_status",), opened, Notification)
    db.session.expire_all()


def _score(review, reviewer: User, idea: Idea, scores: tuple[int, int, int, int]) -> None:
    axes = ("customer_value", "uniqueness", "feasibility", "marketability")
    values = dict(zip(axes, scores))
    review.score_idea(reviewer, idea.id, values,
                      {axis: RATIONALES[axis][value] for axis, value in values.items()})


# --- discussion ----------------------------------------------------------------------------------

def _discussion(idea: Idea, users: dict[str, User], pool: list[User], now: datetime,
                rng: random.Random) -> int:
    if idea.published_at is None:
        return 0
    start = idea.published_at
    end = min(now, idea.closed_at or now)
    span = max((end - start).total_seconds(), 3600)
    creators = {c.user_id for c in idea.creators}
    people = [u for u in pool if u.id not in creators]
    japanese = any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in idea.title)
    texts = COMMENTS_JA + COMMENTS_EN[:3] if japanese else COMMENTS_EN + COMMENTS_JA[:2]
    count = 0
    for _ in range(rng.randint(0, 4)):
        when = start + timedelta(seconds=span * rng.random())
        comment = Comment(idea_id=idea.id, author_id=rng.choice(people).id,
                          body=rng.choice(texts), created_at=when)
        db.session.add(comment)
        db.session.flush()
        count += 1
        if rng.random() < 0.5:
            db.session.add(Comment(idea_id=idea.id, author_id=idea.owner_id, parent_id=comment.id,
                                   body=rng.choice(REPLIES),
                                   created_at=when + timedelta(hours=rng.uniform(1, 30))))
            count += 1
    if rng.random() < 0.25:
        db.session.add(Comment(idea_id=idea.id, author_id=users["moderator"].id, is_official=True,
                               body=rng.choice(OFFICIAL),
                               created_at=start + timedelta(seconds=span * 0.3)))
        count += 1
    if idea.status == "published" and rng.random() < 0.35:
        db.session.add(Comment(idea_id=idea.id, author_id=idea.owner_id, is_update=True,
                               body=rng.choice(UPDATES),
                               created_at=start + timedelta(seconds=span * 0.7)))
        count += 1
    idea.comment_count = count  # every one shown (app.services.comments keeps it from here)
    return count


# --- images --------------------------------------------------------------------------------------

PALETTES = (((228, 87, 46), (255, 209, 102)), ((42, 157, 143), (233, 196, 106)),
            ((38, 70, 83), (42, 157, 143)), ((131, 56, 236), (58, 134, 255)),
            ((255, 0, 110), (251, 86, 7)), ((6, 214, 160), (17, 138, 178)),
            ((239, 71, 111), (255, 209, 102)), ((61, 64, 91), (224, 122, 95)))
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/System/Library/Fonts/ヒラギノ角ゴシック W6.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
)
_fonts: dict[int, object] = {}


def _font(size: int):
    from PIL import ImageFont

    if size not in _fonts:
        for path in FONT_CANDIDATES:
            try:
                _fonts[size] = ImageFont.truetype(path, size)
                break
            except OSError:
                continue
        else:
            _fonts[size] = ImageFont.load_default(size=size)
    return _fonts[size]


def cover_png(title: str, variant: int, rng: random.Random, size=(800, 500)) -> bytes:
    """A generated cover: a gradient, a few soft shapes and the title's first letter."""
    from PIL import Image, ImageDraw

    width, height = size
    start, end = PALETTES[variant % len(PALETTES)]
    mask = Image.linear_gradient("L").rotate(rng.choice((0, 45, 90, 135)), expand=False) \
        .resize(size)
    image = Image.composite(Image.new("RGB", size, end), Image.new("RGB", size, start), mask)
    overlay = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for _ in range(5):
        radius = rng.randint(60, 220)
        x, y = rng.randint(0, width), rng.randint(0, height)
        shade = rng.choice(((255, 255, 255, 46), (0, 0, 0, 26), (255, 255, 255, 70)))
        if rng.random() < 0.5:
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=shade)
        else:
            draw.rounded_rectangle((x - radius, y - radius // 2, x + radius, y + radius // 2),
                                   radius=radius // 4, fill=shade)
    image = Image.alpha_composite(image.convert("RGBA"), overlay)
    draw = ImageDraw.Draw(image)
    initial = title.strip()[:1].upper() or "K"
    font = _font(height // 2)
    box = draw.textbbox((0, 0), initial, font=font)
    position = ((width - (box[2] - box[0])) / 2 - box[0], (height - (box[3] - box[1])) / 2 - box[1])
    draw.text((position[0] + 6, position[1] + 8), initial, font=font, fill=(0, 0, 0, 60))
    draw.text(position, initial, font=font, fill=(255, 255, 255, 235))
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def _image_target() -> tuple[dict[str, int], str]:
    """In which sizes and with which key prefix idea images are stored: the ideas area's own
    settings, so the seeded covers are served like uploaded ones."""
    from app.services import ideas as idea_service

    return dict(idea_service.IMAGE_SIZES), idea_service.IMAGE_KEY_PREFIX


def _add_images(idea: Idea, spec: IdeaSpec, index: int, rng: random.Random) -> int:
    from app.services import media

    sizes, prefix = _image_target()
    count = 2 if index % 3 == 0 else 1
    for position in range(count):
        processed = media.process_upload(cover_png(spec.title, index + position * 3, rng), sizes)
        key = media.store(processed, prefix)  # removed again if the seeding does not commit
        db.session.add(IdeaImage(idea_id=idea.id, position=position, key=key,
                                 width=processed.width, height=processed.height,
                                 alt=spec.title if position == 0 else f"{spec.title} ({position + 1})",
                                 created_at=idea.created_at))
    return count


__all__ = ["seed_demo", "seed", "cover_png"]
