"""Creator agreement versions: published by admins, never changed, each with its digest."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from app.errors import Forbidden, Invalid, NotFound
from app.models import AuditLog
from app.services import agreements
from tests import factories


def test_admin_publishes_a_version_with_the_sha256_of_its_exact_text(db):
    admin = factories.user("admin")
    text = "# Agreement v2\n\nRevenue share: 1% of net sales, split as agreed.\n"
    agreement = agreements.publish_agreement(admin, " 2 ", "Creator agreement", text)
    db.session.commit()

    assert agreement.version == "2"
    assert agreement.sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert agreements.current_agreement().id == agreement.id
    assert [a.version for a in agreements.all_versions()] == ["2", "1"]
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "agreement.published"))
    assert entry.actor_id == admin.id
    assert entry.before == {"version": "1"} and entry.after["sha256"] == agreement.sha256


def test_windows_line_endings_are_normalised_before_hashing(db):
    agreement = agreements.publish_agreement(factories.user("admin"), "2", "T", "a\r\nb\rc")
    assert agreement.text == "a\nb\nc"
    assert agreement.sha256 == hashlib.sha256(b"a\nb\nc").hexdigest()


def test_older_versions_stay_available(db):
    first = factories.current_agreement()
    agreements.publish_agreement(factories.user("admin"), "2", "T", "new text")
    db.session.commit()
    assert agreements.get_version(first.version).text == first.text
    with pytest.raises(NotFound):
        agreements.get_version("404")


@pytest.mark.parametrize("version, title, text, field", [
    ("1", "T", "again", "version"),          # versions are never reused
    ("", "T", "text", "version"),
    ("two words", "T", "text", "version"),
    ("x" * 21, "T", "text", "version"),
    ("3", "", "text", "title"),
    ("3", "T", "   \n", "text"),
])
def test_invalid_versions_are_refused(db, version, title, text, field):
    with pytest.raises(Invalid) as caught:
        agreements.publish_agreement(factories.user("admin"), version, title, text)
    assert field in caught.value.fields


@pytest.mark.parametrize("roles", [(), ("finance",), ("moderator",), ("reviewer",)])
def test_only_admins_publish(db, roles):
    with pytest.raises(Forbidden):
        agreements.publish_agreement(factories.user(*roles), "9", "T", "text")
