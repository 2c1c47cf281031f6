"""notify_i18n: notifications (and fan-outs) as kind + params, users.time_zone, preferences
per category

Existing notifications are parsed back into their kind and params (the English templates of
the time are frozen below); a message that does not parse keeps its text as the `_message`
param, which is shown as it is. users.notify_mode becomes one preference row per category
(`off`, which meant "only in the app", becomes `app`).

Revision ID: 0017_notify_i18n
Revises: 0012_accounts
Create Date: 2026-12-03 06:40:00
"""
import re
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017_notify_i18n'
down_revision = '0012_accounts'
branch_labels = None
depends_on = None

CATEGORIES = ("comments", "replies", "status", "supports", "review", "royalties",
              "announcements")
BATCH = 1000

#: new kind: (category, the English template of the old rows, the old kinds it was stored as)
TEMPLATES = {
    "comment_on_idea": ("comments", "%(name)s commented on your idea “%(title)s”.",
                        ("comment_on_idea",)),
    "reply": ("replies", "%(name)s replied to your comment on “%(title)s”.", ("reply",)),
    "idea_update": ("status", "Update on “%(title)s” from %(name)s.", ("idea_update",)),
    "idea_qualified_next_review": ("status", "“%(title)s” reached %(count)s supporters and "
                                   "qualifies for review! The next review batch closes on "
                                   "%(date)s.", ("idea_milestone",)),
    "idea_qualified": ("status", "“%(title)s” reached %(count)s supporters and qualifies for "
                       "review!", ("idea_milestone",)),
    "idea_milestone": ("status", "“%(title)s” reached %(count)s supporters. Next goal: "
                       "%(next)s.", ("idea_milestone",)),
    "idea_expired": ("status", "“%(title)s” did not reach %(count)s supporters in time and has "
                     "expired. You can submit it again as a new idea.", ("idea_status",)),
    "idea_in_review": ("status", "“%(title)s” is now in review (batch “%(name)s”, closing "
                       "%(date)s).", ("idea_status",)),
    "idea_withdrawn": ("status", "“%(title)s” was withdrawn by %(name)s.", ("idea_status",)),
    "idea_reviewed": ("status", "“%(title)s” has been reviewed: %(decision)s.", ("idea_status",)),
    "idea_published_note": ("status", "“%(title)s” is published and now gathers support! "
                            "Moderator's note: %(reason)s", ("moderation",)),
    "idea_published": ("status", "“%(title)s” is published and now gathers support!",
                       ("moderation",)),
    "idea_needs_changes": ("status", "“%(title)s” needs changes before it can be published: "
                           "%(reason)s", ("moderation",)),
    "idea_rejected": ("status", "“%(title)s” was not accepted: %(reason)s", ("moderation",)),
    "idea_hidden": ("status", "“%(title)s” was hidden by a moderator: %(reason)s",
                    ("moderation",)),
    "idea_unhidden": ("status", "“%(title)s” is visible again.", ("moderation",)),
    "idea_merged": ("status", "“%(title)s” was merged into “%(target)s”; its supporters now "
                    "support that idea.", ("moderation",)),
    "idea_merged_into": ("status", "A similar idea, “%(title)s”, was merged into “%(target)s”: "
                         "%(count)s supporters joined.", ("moderation",)),
    "idea_merged_into_private": ("status", "A similar idea was merged into “%(target)s”: "
                                 "%(count)s supporters joined.", ("moderation",)),
    "product_stage": ("status", "“%(title)s” is now in production (expected %(date)s).",
                      ("product_stage",)),
    "product_in_production": ("status", "“%(title)s” is now in production.", ("product_stage",)),
    "product_on_sale": ("status", "“%(title)s” is on sale now.", ("product_stage",)),
    "product_update": ("status", "Official update on “%(title)s”.", ("product_update",)),
    "comment_removed": ("status", "A moderator removed your comment on “%(title)s”.",
                        ("moderation",)),
    "co_creator_invite": ("status", "You are invited to co-create an idea with a %(share)s "
                          "share of its royalties. Open the invitation to read it and accept.",
                          ("co_creator_invite",)),
    "co_creator_share": ("status", "Your share of an idea you co-create is now %(share)s. "
                         "Please accept the new split.", ("co_creator_invite",)),
    "co_creator_joined": ("status", "Your invitation to co-create was accepted by %(name)s.",
                          ("co_creator_invite",)),
    "co_creator_accepted": ("status", "%(name)s accepted the agreement and their share of your "
                            "idea.", ("co_creator_invite",)),
    "idea_first_supporter": ("supports", "%(name)s is the first supporter of “%(title)s”.",
                             ("idea_supported",)),
    "idea_supported": ("supports", "%(name)s supports “%(title)s” (%(count)s supporters).",
                       ("idea_supported",)),
    "idea_supporters": ("supports", "“%(title)s” has new supporters, now %(count)s (latest: "
                        "%(name)s).", ("idea_supported",)),
    "idea_followed": ("supports", "%(name)s now follows your idea “%(title)s”.",
                      ("idea_followed",)),
    "review_result": ("review", "The review of “%(title)s” is published: %(decision)s. See the "
                      "scores and the message on your idea's page.", ("review_result",)),
    "royalty_statement_product": ("royalties", "Royalty statement: %(figures)s for "
                                  "“%(product)s” (%(period)s).", ("royalty_statement",)),
    "royalty_statement": ("royalties", "Royalty statement: %(figures)s from newly recorded "
                          "sales.", ("royalty_statement",)),
    "royalty_payout": ("royalties", "A payout of %(amount)s was sent to you (reference "
                       "%(ref)s).", ("royalty_payout",)),
    "payout_request": ("royalties", "%(name)s asks for a payout of %(amount)s.",
                       ("payout_request",)),
    "payout_declined": ("royalties", "Your payout request of %(amount)s was declined: "
                        "%(reason)s", ("payout_declined",)),
}
OLD_CATEGORIES = {"comment_on_idea": "comments", "reply": "replies", "idea_followed": "supports",
                  "idea_supported": "supports", "review_result": "review",
                  "royalty_statement": "royalties", "royalty_payout": "royalties",
                  "payout_request": "royalties", "payout_declined": "royalties"}
DECISIONS = {"approved": "approved", "not approved": "not_approved", "on hold": "on_hold"}
MINOR_UNITS_ZERO = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
                    "VND", "VUV", "XAF", "XOF", "XPF"}
MINOR_UNITS_THREE = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}


def _pattern(template):
    parts = re.split(r"%\((\w+)\)s", template)
    regex = "".join(f"(?P<{part}>.+?)" if index % 2 else re.escape(part)
                    for index, part in enumerate(parts))
    return re.compile(f"^{regex}$", re.DOTALL)


#: Earlier phrasings (parsed, never written back): kind, category, template, old kinds.
OLDER = [
    ("co_creator_invite", "status", "%(name)s invites you to co-create “%(title)s” with a "
     "%(share)s share of its royalties. Open the idea to accept.", ("co_creator_invite",)),
    ("co_creator_share", "status", "Your share of “%(title)s” is now %(share)s. Please accept "
     "the new split.", ("co_creator_invite",)),
    ("co_creator_accepted", "status", "%(name)s accepted to co-create “%(title)s”.",
     ("co_creator_invite",)),
]
PATTERNS = [(kind, category, olds, _pattern(template))
            for kind, (category, template, olds) in TEMPLATES.items()] + \
    [(kind, category, olds, _pattern(template)) for kind, category, template, olds in OLDER]


def _money(text):
    amount, _, currency = text.strip().partition(" ")
    decimals = 0 if currency in MINOR_UNITS_ZERO else 3 if currency in MINOR_UNITS_THREE else 2
    value = Decimal(amount) * (10 ** decimals)
    if value != value.to_integral_value() or not re.fullmatch(r"[A-Z]{3}", currency):
        raise ValueError(text)
    return {"amount": int(value), "currency": currency}


def _share(text):
    if not text.endswith("%"):
        raise ValueError(text)
    value = Decimal(text[:-1]) * 100
    if value != value.to_integral_value():
        raise ValueError(text)
    return {"bps": int(value)}


CONVERT = {
    "count": lambda text: int(text.replace(",", "")),
    "next": lambda text: int(text.replace(",", "")),
    "date": lambda text: {"date": text} if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else text,
    "decision": lambda text: {"label": DECISIONS[text], "group": "decision"},
    "share": _share,
    "amount": _money,
    "figures": lambda text: [_money(part) for part in text.split(", ")],
    "period": lambda text: {"month": text} if re.fullmatch(r"\d{4}-\d{2}", text) else text,
}


def parse(old_kind, message):
    """(kind, category, params) for one stored sentence."""
    for kind, category, olds, pattern in PATTERNS:
        if old_kind not in olds:
            continue
        match = pattern.match(message)
        if match is None:
            continue
        try:
            params = {name: CONVERT.get(name, str)(value)
                      for name, value in match.groupdict().items()}
        except (ValueError, KeyError, InvalidOperation):
            continue
        return kind, category, params
    return old_kind, OLD_CATEGORIES.get(old_kind, "status"), {"_message": message}


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))
    op.create_table(
        'notification_preferences',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=24), nullable=False),
        sa.Column('delivery', sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_notification_preferences_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'category', name=op.f('pk_notification_preferences')),
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=True))

    with op.batch_alter_table('notification_fanouts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))

    connection = op.get_bind()
    notifications = sa.table('notifications', sa.column('id', sa.Integer),
                             sa.column('kind', sa.String), sa.column('message', sa.Text),
                             sa.column('category', sa.String), sa.column('params', sa.JSON))
    _parse_rows(connection, notifications, with_category=True)
    fanouts = sa.table('notification_fanouts', sa.column('id', sa.Integer),
                       sa.column('kind', sa.String), sa.column('message', sa.Text),
                       sa.column('params', sa.JSON))
    _parse_rows(connection, fanouts, with_category=False)

    for category in CATEGORIES:
        connection.execute(sa.text(
            "INSERT INTO notification_preferences (user_id, category, delivery) "
            "SELECT id, :category, CASE notify_mode WHEN 'off' THEN 'app' ELSE notify_mode END "
            "FROM users WHERE notify_mode <> 'immediately'"), {"category": category})

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('category', existing_type=sa.String(length=24), nullable=False)
        batch_op.alter_column('params', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('message')
    with op.batch_alter_table('notification_fanouts', schema=None) as batch_op:
        batch_op.alter_column('params', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('message')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('notify_mode')


def _parse_rows(connection, table, *, with_category):
    last = 0
    while True:
        rows = connection.execute(
            sa.select(table.c.id, table.c.kind, table.c.message)
            .where(table.c.id > last).order_by(table.c.id).limit(BATCH)).all()
        if not rows:
            break
        for row_id, old_kind, message in rows:
            kind, category, params = parse(old_kind, message or "")
            values = {"kind": kind, "params": params}
            if with_category:
                values["category"] = category
            connection.execute(table.update().where(table.c.id == row_id).values(**values))
        last = rows[-1][0]


def _english(kind, params):
    if "_message" in params:
        return params["_message"]
    if kind not in TEMPLATES:
        return kind

    def text(value):
        if isinstance(value, list):
            return ", ".join(text(item) for item in value)
        if isinstance(value, dict):
            if "amount" in value:
                return f"{value['amount']} {value['currency']}"
            if "bps" in value:
                return f"{Decimal(value['bps']) / 100}%"
            return str(value.get("date") or value.get("month") or value.get("label", ""))
        return f"{value:,}" if isinstance(value, int) else str(value)

    try:
        return TEMPLATES[kind][1] % {key: text(value) for key, value in params.items()}
    except (KeyError, TypeError, ValueError):
        return kind


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notify_mode', sa.String(length=16), nullable=False,
                                      server_default='immediately'))
    connection = op.get_bind()
    connection.execute(sa.text(
        "UPDATE users SET notify_mode = (SELECT CASE delivery WHEN 'app' THEN 'off' "
        "WHEN 'off' THEN 'off' ELSE delivery END FROM notification_preferences p "
        "WHERE p.user_id = users.id AND p.category = 'comments') "
        "WHERE id IN (SELECT user_id FROM notification_preferences WHERE category = 'comments')"))
    for name in ('notifications', 'notification_fanouts'):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('message', sa.Text(), nullable=True))
        table = sa.table(name, sa.column('id', sa.Integer), sa.column('kind', sa.String),
                         sa.column('message', sa.Text), sa.column('params', sa.JSON))
        last = 0
        while True:
            rows = connection.execute(
                sa.select(table.c.id, table.c.kind, table.c.params)
                .where(table.c.id > last).order_by(table.c.id).limit(BATCH)).all()
            if not rows:
                break
            for row_id, kind, params in rows:
                connection.execute(table.update().where(table.c.id == row_id)
                                   .values(message=_english(kind, params or {})))
            last = rows[-1][0]
    with op.batch_alter_table('notification_fanouts', schema=None) as batch_op:
        batch_op.alter_column('message', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('params')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('message', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('params')
        batch_op.drop_column('category')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('notify_mode', existing_type=sa.String(length=16),
                              server_default=None)
    op.drop_table('notification_preferences')
