"""Markdown is rendered once, when the text is saved: pages show the stored, sanitised HTML."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app import markdown
from app.extensions import db
from app.models import Comment, CommentRevision, Idea
from app.models.base import utcnow
from app.services import comments as comment_service
from app.services import ideas as idea_service
from tests import factories
from tests.helpers import login

ATTACKS = ["[" * 20_000, "[a" * 10_000, ">" * 5_000, "*a" * 10_000, "_a" * 10_000,
           "[a](" * 5_000, "[\n" * 2_500]


def _no_renders(monkeypatch) -> None:
    def refuse(*_args, **_kwargs):
        raise AssertionError("Markdown rendered while showing a page")

    monkeypatch.setattr(markdown, "render_markdown", refuse)
    monkeypatch.setattr(markdown, "render_stored", refuse)
    monkeypatch.setattr(markdown._PARSER, "render", refuse)
    monkeypatch.setattr(markdown._PARSER, "parse", refuse)


def test_an_idea_page_with_pathological_text_renders_no_markdown(app, client, monkeypatch):
    idea = factories.idea(description="[" * 20_000)
    author = factories.user()
    for index in range(30):
        db.session.add(Comment(idea_id=idea.id, author_id=author.id,
                               body=ATTACKS[index % len(ATTACKS)][:comment_service.BODY_MAX_LENGTH],
                               created_at=utcnow() - timedelta(minutes=index)))
    db.session.commit()
    _no_renders(monkeypatch)

    page = client.get(f"/ideas/{idea.id}")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "[[[[[[[[" in html  # the description, shown as the characters it is
    assert html.count('class="prose comment-body"') == 30


def test_moderation_and_history_pages_show_stored_html(app, client, monkeypatch):
    moderator = factories.user("moderator")
    idea = factories.idea(status="pending_moderation", description="**Bold** " + "[" * 3000)
    author = factories.user()
    comment = comment_service.post_comment(author, factories.idea().id, "first *take*")
    comment_service.edit_comment(author, comment.id, "second " + "_a" * 2000)
    db.session.commit()
    login(client, moderator)
    _no_renders(monkeypatch)

    queue = client.get("/moderation")
    history = client.get(f"/comments/{comment.id}/history")

    assert queue.status_code == 200 and "<strong>Bold</strong>" in queue.get_data(as_text=True)
    assert history.status_code == 200
    assert "first <em>take</em>" in history.get_data(as_text=True)
    assert idea.id


def test_saving_renders_and_a_change_renders_again(app):
    owner = factories.user()
    draft = idea_service.create_draft(owner, {"title": "Rain hooks",
                                              "description": "Hang *coats* <script>x</script>"})
    db.session.commit()
    assert draft.description_html == "<p>Hang <em>coats</em> &lt;script&gt;x&lt;/script&gt;</p>\n"
    assert draft.description_html_version == markdown.RENDERER_VERSION

    idea_service.update_idea(owner, draft.id, {"description": "[a link](javascript:alert(1))"})
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Idea, draft.id)
    assert "<a" not in stored.description_html  # shown as text, never a live link


def test_an_edited_comment_keeps_each_version_rendered(app):
    author = factories.user()
    comment = comment_service.post_comment(author, factories.idea().id, "*one*")
    comment_service.edit_comment(author, comment.id, "**two**")
    db.session.commit()

    assert comment.body_html == "<p><strong>two</strong></p>\n"
    revision = db.session.query(CommentRevision).filter_by(comment_id=comment.id).one()
    assert revision.body_html == "<p><em>one</em></p>\n"
    assert revision.body_html_version == markdown.RENDERER_VERSION


def _make_stale() -> tuple[Idea, Comment]:
    idea = factories.idea(description="*new look*")
    comment = Comment(idea_id=idea.id, author_id=idea.owner_id, body="**loud**")
    db.session.add(comment)
    db.session.commit()
    before = idea.updated_at
    db.session.execute(Idea.__table__.update().values(description_html="old",
                                                      description_html_version=0,
                                                      updated_at=before))
    db.session.execute(Comment.__table__.update().values(body_html="old", body_html_version=0))
    db.session.commit()
    db.session.expire_all()
    return idea, comment


def test_flask_markdown_rerender_renders_rows_of_an_older_renderer(app):
    idea, comment = _make_stale()
    updated = db.session.get(Idea, idea.id).updated_at

    result = app.test_cli_runner().invoke(args=["markdown", "rerender"])

    assert result.exit_code == 0, result.output
    assert "2 texts rendered again." in result.output
    db.session.expire_all()
    again = db.session.get(Idea, idea.id)
    assert again.description_html == "<p><em>new look</em></p>\n"
    assert again.description_html_version == markdown.RENDERER_VERSION
    assert again.updated_at == updated  # re-rendering is no edit
    assert db.session.get(Comment, comment.id).body_html == "<p><strong>loud</strong></p>\n"
    assert "0 texts" in app.test_cli_runner().invoke(args=["markdown", "rerender"]).output


def test_the_scheduled_job_rerenders_in_batches(app, monkeypatch):
    from app.jobs import periodic
    from app.services import rendering

    _idea, comment = _make_stale()
    monkeypatch.setattr(rendering, "BATCH_SIZE", 1)

    assert periodic.rerender_markdown() == 2
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).body_html_version == markdown.RENDERER_VERSION
    assert periodic.rerender_markdown() == 0


def test_the_rerender_job_is_scheduled(app):
    from app.jobs.schedule import entries

    assert entries(app)["markdown-rerender"][0] == "markdown.rerender"


@pytest.mark.parametrize("attack", ATTACKS)
def test_bounded_text_gives_the_parser_few_marks_to_try(attack):
    """Whatever the input, the parser sees at most a bounded number of link openings and
    emphasis delimiters per paragraph (their cost is what grew faster than the text)."""
    bounded = markdown.bound(attack)
    for paragraph in bounded.split("\n\n"):
        assert paragraph.count("[") <= markdown.MAX_BRACKETS_PER_BLOCK
        assert sum(1 for run in paragraph.split("*") if run) <= 2 * markdown.MAX_DELIMITER_RUNS + 1
    shown = markdown.render_markdown(attack)
    assert shown.count("[") == attack.count("[") or attack.startswith(">")


def test_bounds_keep_what_text_looks_like():
    text = "A [link](https://example.com), [[x]] and `[code` stay; " + "[" * 50
    html = markdown.render_markdown(text)
    assert '<a href="https://example.com" rel="nofollow noopener ugc">link</a>' in html
    assert "[[x]]" in html and "<code>[code</code>" not in html or "[code" in html
    assert html.count("[") == text.count("[") - 1  # only the link's own bracket is markup
    assert markdown.render_markdown("```\n[[[[\n```") == "<pre><code>[[[[\n</code></pre>\n"
    assert markdown.render_markdown("\ufdd0[") == "<p>[</p>\n"
