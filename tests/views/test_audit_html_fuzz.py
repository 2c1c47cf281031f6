"""Hostile input against every HTML route (walked from app.url_map): ids far beyond any row,
page numbers that would overflow the OFFSET, absurd query strings, and forms posted (with a valid
CSRF token) full of huge, negative, fractional, non-numeric and control-character values. The
answer is a page, a redirect or a 4xx, never a 500."""
from __future__ import annotations

import re
from datetime import date

from app.services import review as review_service
from tests import factories as f
from tests import ledger_factories as lf
from tests.helpers import csrf_token, login

HUGE = "1" + "0" * 30
QUERIES = ("", "?page=0", f"?page={HUGE}", "?page=abc", f"?comments_page={HUGE}",
           f"?sort={'x' * 3000}&status=nope&q={'%22' * 300}&tag={'t' * 3000}&category=c",
           f"?exclude={HUGE}&title=abc+def+ghi", f"?user_id={HUGE}&product_id={HUGE}&currency=X",
           f"?email={'x' * 3000}&role=nope", f"?actor={HUGE}&date_from=2020-99-99",
           "?actor=%C2%B2&date_from=0001-01-01&date_to=9999-12-31",
           "?_method=POST&_external=1&endpoint=x&idea_id=1&user_id=1&batch_id=1",
           "?category=a%00b&tag=%00&email=%00")
FIELDS = ("title pitch description tags category situation emotion purpose body reason email "
          "share_bps agreement_version accept decision message reviewer_id idea_id target_id name "
          "closes_on product_id period units amount net_sales currency external_ref user_id "
          "reference role action password new_password current_password confirm display_name bio "
          "notify_mode locale version text customer_value customer_value_rationale would_buy "
          "price_amount price_currency parent_id remember next").split()
VALUES = (HUGE, "-" + HUGE, "x" * 30_000, "1.5", "1e309", "-1", "a\x00b", "１２", "")


def _world():
    staff = f.user("admin", "moderator", "reviewer", "finance")
    other = f.user()
    published = f.idea(other, status="published", supports=1)
    draft = f.idea(staff, status="draft")
    in_review = f.idea(other, status="qualified")
    batch = review_service.open_batch(staff, "Batch", date(2030, 3, 31))
    from app.extensions import db

    db.session.commit()
    lf.product(other)
    return staff, [str(published.id), str(draft.id), str(in_review.id), str(batch.id)]


def _fill(rule: str, value: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?(\w+)>",
                  lambda m: "cover" if m.group(1) == "move" else
                  ("x" * 300 if m.group(1) in ("key", "size", "token", "version") else value),
                  rule)


def test_every_page_survives_hostile_ids_and_query_strings(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    staff, ids = _world()
    for signed_in in (False, True):
        if signed_in:
            login(client, staff)
        for rule in app.url_map.iter_rules():
            if rule.rule.startswith("/api/") or "GET" not in rule.methods or \
                    rule.endpoint == "static":
                continue
            # Every hostile id in the path, and every hostile query string on the path of a
            # real row (an id in the path and a query string are read apart, so crossing
            # each id with each query string would ask the same questions again).
            paths = list(dict.fromkeys(_fill(rule.rule, value)
                                       for value in (*ids[:2], HUGE, "0")))
            urls = [*paths, *(paths[0] + query for query in QUERIES[1:])]
            if len(paths) > 1:  # a private row (the draft) read with hostile pages and sorts
                urls += [paths[1] + query for query in QUERIES[1:3]]
            for url in urls:
                response = client.get(url)
                assert response.status_code < 500, f"GET {url[:120]} -> {response.status_code}"


def test_every_form_survives_hostile_values(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    staff, ids = _world()
    login(client, staff)
    token = csrf_token(client, "/")

    def post(url: str, data: dict):
        """Post as the staff member; when a form before signed us out (a password changed, a
        session ended: the answer sends us to sign in) or its answer is a 400 (a new session
        wants a new token), sign in again and post once more."""
        nonlocal token
        response = client.post(url, data={**data, "csrf_token": token})
        if response.status_code == 400 or "/login" in response.headers.get("Location", ""):
            login(client, staff)
            token = csrf_token(client, "/")
            response = client.post(url, data={**data, "csrf_token": token})
        return response

    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or "POST" not in rule.methods or \
                rule.endpoint == "accounts.logout":
            continue
        urls = list(dict.fromkeys(_fill(rule.rule, value) for value in ids[:3]))
        for index, url in enumerate(urls):
            # Every hostile value against the published idea's form; the draft's and the
            # idea in review's (other rules, same fields) with the values that most often
            # break a parser: too long, too large, a NUL byte.
            for bad in VALUES if index == 0 else VALUES[:3] + VALUES[6:7]:
                response = post(url, {name: bad for name in FIELDS})
                assert response.status_code < 500, \
                    f"POST {url} with {bad[:20]!r} -> {response.status_code}"
