"""A 404 for an idea (or its comment or picture) that exists but is hidden from the viewer is
the same answer as for one that does not exist: same bytes, same headers, same queries."""
from __future__ import annotations

import re

import pytest

from sqlalchemy import delete

from app.extensions import db
from app.models import Comment, Idea, IdeaCreator, IdeaEvent, IdeaImage
from tests import factories as f
from tests.helpers import bearer, login

VARYING = {"X-Request-ID", "Date"}  # differ between any two requests
#: The page's CSRF token is signed with the time (to the second): masked, like Date.
CSRF_TOKEN = re.compile(rb'(name="csrf[-_]token" (?:content|value)=")[^"]+')


def _headers(response) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in response.headers.items() if k not in VARYING)


def _answer(client, count_queries, paths, **kwargs):
    answers = []
    for path in paths:
        client.get(path, **kwargs)  # warm up (first-request work, caches)
        with count_queries() as queries:
            response = client.get(path, **kwargs)
        assert response.status_code == 404, path
        answers.append((CSRF_TOKEN.sub(rb"\1", response.get_data()), _headers(response), queries.count,
                        [s.split(" WHERE ")[0] for s in queries.statements]))
    return answers


def _same_answers(client, count_queries, paths, remove, **kwargs) -> None:
    """The 404s for ``paths`` while the thing exists hidden, then once ``remove`` deleted it
    (the same addresses, so the bodies, which link to their own address, must be equal)."""
    for _ in range(2):  # the client's session cookie is set by its first requests
        client.get("/", **kwargs)
    while_hidden = _answer(client, count_queries, paths, **kwargs)
    remove()
    db.session.commit()
    once_missing = _answer(client, count_queries, paths, **kwargs)
    for path, hidden, missing in zip(paths, while_hidden, once_missing):
        assert hidden[0] == missing[0], path  # the same bytes
        assert hidden[1] == missing[1], path  # the same headers
        assert hidden[2:] == missing[2:], path  # the same queries


def _delete_idea(idea):
    def remove():
        db.session.execute(delete(Comment).where(Comment.idea_id == idea.id))
        db.session.execute(delete(IdeaImage).where(IdeaImage.idea_id == idea.id))
        db.session.execute(delete(IdeaEvent).where(IdeaEvent.idea_id == idea.id))
        db.session.execute(delete(IdeaCreator).where(IdeaCreator.idea_id == idea.id))
        db.session.execute(delete(Idea).where(Idea.id == idea.id))
    return remove


def _private_ideas():
    owner = f.user()
    draft = f.idea(owner, status="draft")
    pending = f.idea(owner, status="pending_moderation")
    hidden = f.hidden(f.idea(owner, status="published"))
    return owner, [draft, pending, hidden]


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_idea_pages_and_api_answer_alike_for_hidden_and_missing_ideas(client, count_queries, who):
    _owner, ideas = _private_ideas()
    kwargs = {}
    if who == "member":
        viewer = f.user()
        login(client, viewer)
        kwargs = {"headers": bearer(viewer)}
    for idea in ideas:
        paths = [path.format(idea.id) for path in ("/ideas/{}", "/ideas/{}/edit",
                                                    "/api/v1/ideas/{}",
                                                    "/api/v1/ideas/{}/comments")]
        _same_answers(client, count_queries, paths, _delete_idea(idea), **kwargs)


def test_comment_history_answers_alike_for_a_hidden_idea_and_a_missing_comment(client,
                                                                              count_queries):
    owner, ideas = _private_ideas()
    hidden_idea = ideas[2]
    comment = Comment(idea_id=hidden_idea.id, author_id=owner.id, body="On a hidden idea")
    db.session.add(comment)
    db.session.commit()
    paths = [path.format(comment.id) for path in ("/comments/{}/history",
                                                  "/api/v1/comments/{}/history")]
    _same_answers(client, count_queries, paths, _delete_idea(hidden_idea))


def test_a_draft_picture_answers_like_a_missing_one(client, count_queries):
    _owner, ideas = _private_ideas()
    image = IdeaImage(idea_id=ideas[0].id, key="idraftpicture1", width=10, height=10)
    db.session.add(image)
    db.session.commit()
    _same_answers(client, count_queries, ["/media/idraftpicture1/card"], _delete_idea(ideas[0]))


def test_creators_still_see_their_drafts(client):
    owner, ideas = _private_ideas()
    login(client, owner)
    for idea in ideas:
        assert client.get(f"/ideas/{idea.id}").status_code == 200
        assert client.get(f"/api/v1/ideas/{idea.id}", headers=bearer(owner)).status_code == 200
