"""The permission table: actions are an enum, every action has a rule, a typo is a bug, and one
rule answers both who may act and when."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import permissions
from app.errors import Conflict, Forbidden, Unauthorized
from app.permissions import REFUSALS, RULES, Action, can, require
from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]
# can('x' ...) in templates; permissions.can/require(user, "x" ...) and helpers passing an
# action string (require_editing, _require, _idea_for, _check_actor) in Python.
TEMPLATE_CALL = re.compile(r"""\bcan\(\s*['"](\w+)['"]""")
PYTHON_CALL = re.compile(r"""(?:permissions\.(?:can|require)\(\s*[\w.()]+,\s*|_require\(\s*"""
                         r"""|require_editing\([^)]*?,\s*[\w.]+,\s*|_check_actor\(\s*\w+,\s*)"""
                         r"""['"](\w+)['"]""")


def _actions_named_in_code() -> set[str]:
    names = set()
    for path in (ROOT / "templates").rglob("*.html"):
        names |= set(TEMPLATE_CALL.findall(path.read_text(encoding="utf-8")))
    for path in (ROOT / "app").rglob("*.py"):
        names |= set(PYTHON_CALL.findall(path.read_text(encoding="utf-8")))
    return names


def test_every_action_named_in_code_and_templates_is_an_action():
    named = _actions_named_in_code()
    assert len(named) > 15  # the scan finds the call sites
    assert named - {action.value for action in Action} == set()


def test_every_action_has_a_rule_and_every_rule_an_action():
    assert set(RULES) == set(Action)


def test_every_check_is_a_small_function_with_a_name():
    for checks in RULES.values():
        for check in (*permissions.EVERYONE, *checks):
            assert callable(check) and check.__name__.startswith("_")


def test_an_unknown_action_is_a_programming_error_not_a_403(app):
    member = f.user()
    with pytest.raises(ValueError):
        can(member, "edit_ideas")
    with pytest.raises(ValueError):
        require(member, "suport", f.idea())
    assert can(member, "create_idea") is can(member, Action.CREATE_IDEA) is True


def test_strings_and_members_are_the_same_action():
    assert Action("support") is Action.SUPPORT
    assert Action.SUPPORT == "support"


def _raises(error, code, user, action, obj=None):
    with pytest.raises(error) as caught:
        require(user, action, obj)
    assert caught.value.code == code
    return caught.value


def test_signing_in_and_being_unblocked_come_first(app, db):
    idea = f.idea()
    _raises(Unauthorized, "sign_in_required", None, Action.SUPPORT, idea)
    blocked = f.user("admin")
    blocked.blocked_at = blocked.created_at
    db.session.commit()
    assert not can(blocked, Action.MANAGE_USERS)
    assert permissions.reason(blocked, Action.MANAGE_USERS) in ("sign_in_required",
                                                                "account_blocked")


def test_editing_is_for_creators_while_the_idea_is_a_draft_or_needs_changes(app):
    owner, stranger = f.user(), f.user()
    for status in ("draft", "needs_changes"):
        assert can(owner, Action.EDIT_IDEA, f.idea(owner, status=status))
    pending = f.idea(owner, status="pending_moderation")
    _raises(Forbidden, "not_a_creator", stranger, Action.EDIT_IDEA, pending)
    error = _raises(Conflict, "idea_not_editable", owner, Action.UPLOAD_IMAGE, pending)
    assert error.status == 409 and "draft" in error.message


def test_submitting_is_for_the_owner_while_editable(app):
    owner, co_creator = f.user(), f.user()
    draft = f.idea(owner, status="draft", co_creators=(co_creator,))
    assert can(owner, Action.SUBMIT_IDEA, draft)
    _raises(Forbidden, "not_the_owner", co_creator, Action.SUBMIT_IDEA, draft)
    _raises(Conflict, "not_submittable", owner, Action.SUBMIT_IDEA,
            f.idea(owner, status="pending_moderation"))
    _raises(Conflict, "idea_not_editable", owner, Action.INVITE_CO_CREATOR,
            f.idea(owner, status="published"))


def test_withdrawing_deleting_and_resubmitting_follow_the_lifecycle(app):
    owner = f.user()
    published, expired = f.idea(owner), f.idea(owner, status="expired")
    assert can(owner, Action.WITHDRAW_IDEA, published)
    _raises(Conflict, "not_gathering", owner, Action.WITHDRAW_IDEA, expired)
    _raises(Conflict, "not_a_draft", owner, Action.DELETE_IDEA, published)
    assert can(owner, Action.DELETE_IDEA, f.idea(owner, status="draft"))
    assert can(owner, Action.RESUBMIT_IDEA, expired)
    _raises(Forbidden, "not_the_owner", f.user(), Action.RESUBMIT_IDEA, expired)
    _raises(Conflict, "not_expired", owner, Action.RESUBMIT_IDEA, published)


def test_a_published_idea_past_its_deadline_counts_as_expired(app, db):
    from datetime import timedelta

    from app.models.base import utcnow

    owner = f.user()
    idea = f.idea(owner, deadline=utcnow() - timedelta(hours=1))
    assert idea.status == "published"
    assert can(owner, Action.RESUBMIT_IDEA, idea)
    assert not can(owner, Action.WITHDRAW_IDEA, idea)


def test_moderators_decide_only_on_submissions_waiting_for_them(app):
    moderator, member = f.user("moderator"), f.user()
    pending = f.idea(status="pending_moderation")
    assert can(moderator, Action.MODERATE_SUBMISSION, pending)
    assert can(f.user("admin"), Action.MODERATE_SUBMISSION, pending)
    _raises(Forbidden, "moderators_only", member, Action.MODERATE_SUBMISSION, pending)
    _raises(Conflict, "not_pending", moderator, Action.MODERATE_SUBMISSION, f.idea())


def test_without_an_object_a_rule_answers_for_the_person(app):
    reviewer, admin, member = f.user("reviewer"), f.user("admin"), f.user()
    assert can(reviewer, Action.SCORE) and not can(admin, Action.SCORE)
    _raises(Forbidden, "reviewers_only", member, Action.SCORE)
    assert can(admin, Action.VIEW_SCORES) and can(reviewer, Action.VIEW_SCORES)


def test_every_refusal_a_caller_can_see_has_a_message_in_the_catalogue_list():
    from app import labels

    listed = {str(message._args[0]) for message in labels.DYNAMIC_MESSAGES}
    for reason, refusal in REFUSALS.items():
        assert refusal.message in listed, reason
        assert issubclass(refusal.error, (Unauthorized, Forbidden, Conflict)), reason
