"""Mail waits for the commit; with Redis it goes through the queue and a worker sends it."""
import pytest

from app.extensions import db
from app.mail import send_mail
from tests.smtp import smtp_server  # noqa: F401

@pytest.fixture
def config_overrides(smtp_server):  # noqa: F811
    return {"MAIL_SERVER": smtp_server.host, "MAIL_PORT": smtp_server.port}


def test_mail_is_sent_only_after_commit(app, smtp_server):  # noqa: F811
    send_mail("fan@example.com", "Hello", "Body")
    assert smtp_server.messages == []
    db.session.commit()
    assert [m["To"] for m in smtp_server.wait_for(1)] == ["fan@example.com"]


def test_mail_of_a_rolled_back_change_is_never_sent(app, smtp_server):  # noqa: F811
    send_mail("fan@example.com", "Hello", "Body")
    db.session.rollback()
    db.session.commit()
    assert smtp_server.messages == []


def test_mail_waits_for_the_outer_commit_not_a_savepoint(app, smtp_server):  # noqa: F811
    send_mail("fan@example.com", "Hello", "Body")
    with db.session.begin_nested():
        pass
    assert smtp_server.messages == []
    db.session.commit()
    assert len(smtp_server.wait_for(1)) == 1
