"""Media answers carry exactly one cache policy, chosen by audience (issue 10, item 15)."""
from __future__ import annotations

from app.extensions import db
from app.services import ideas as idea_service
from tests import factories
from tests.helpers import login
from tests.test_storage import PRIVATE, PUBLIC, png


def _policy(response) -> str:
    values = response.headers.getlist("Cache-Control")
    assert len(values) == 1, values  # never two policies
    assert "Expires" not in response.headers and "Pragma" not in response.headers
    return values[0]


def test_public_and_private_pictures_have_one_policy_each_also_when_not_modified(client):
    owner = factories.user()
    idea = factories.idea(owner, status="draft")
    image = idea_service.add_image(owner, idea.id, png())
    db.session.commit()
    login(client, owner)
    private = client.get(f"/media/{image.key}/card")
    assert _policy(private) == PRIVATE
    again = client.get(f"/media/{image.key}/card", headers={"If-None-Match": private.headers["ETag"]})
    assert again.status_code == 304 and _policy(again) == PRIVATE

    idea.status = "published"
    db.session.commit()
    client.post("/logout")
    public = client.get(f"/media/{image.key}/card")
    assert public.status_code == 200 and _policy(public) == PUBLIC
    again = client.get(f"/media/{image.key}/card", headers={"If-None-Match": public.headers["ETag"]})
    assert again.status_code == 304 and _policy(again) == PUBLIC
