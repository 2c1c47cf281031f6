"""The guided N=1 insight: the parts, the placeholder rule, what a submission needs, the first
version's names, the migration that carried them, the form and the moderation checklist."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from app.errors import Invalid
from app.extensions import db
from app.models import Idea
from app.services import ideas as idea_service
from app.services import insight
from tests import factories
from tests.helpers import bearer, csrf_token, login


@pytest.mark.parametrize("value", [
    "s", "e", "test", "Test.", "TEST test", "asdf", "asdfgh", "qwerty", "lorem ipsum dolor sit amet",
    "Lorem ipsum", "aaaaaaa", "ababab", "hahahaha", "xxx", "...", "12345", "n/a", "TBD", "foo bar",
    "あああ", "テスト", "てすと", "未定", "なし", "あいうえお", "ｔｅｓｔ", "abcdef", "ほげほげ",
])
def test_placeholder_text_is_recognised(value):
    assert insight.is_placeholder(value)


@pytest.mark.parametrize("value", [
    "A parent on a crowded train", "Worried", "Calm", "She wants to arrive on time",
    "満員電車で子どもを抱えて通勤する", "周りに迷惑をかけたくない", "Because it matters to her",
    "test the prototype on a real commute", "I just want to get there.",
])
def test_real_text_is_not_a_placeholder(value):
    assert not insight.is_placeholder(value)


def test_weight_counts_japanese_characters_twice_and_no_spaces():
    assert insight.weight("a b c") == 3
    assert insight.weight("満員電車") == 8
    assert insight.weight("  ") == 0


def test_a_japanese_insight_of_the_same_content_passes_as_an_english_one():
    parts = {**factories.GUIDED_FORM,
             "scene": "平日の朝、満員電車で二歳の子を抱えて保育園へ向かう",
             "why_1": "一日の気分が通勤で決まるから"}
    assert insight.problems(parts) == {}


def test_a_draft_refuses_placeholder_text_in_any_part(db):
    owner = factories.user()
    with pytest.raises(Invalid) as error:
        idea_service.create_draft(owner, {"title": "Quiet wheels", "scene": "test",
                                          "why_2": "asdf", "core": "あああ"})
    assert set(error.value.fields) == {"scene", "why_2", "core"}
    assert "placeholder" in error.value.fields["scene"]


def test_a_draft_may_be_short_and_incomplete(db):
    owner = factories.user()
    idea = idea_service.create_draft(owner, {"title": "Quiet wheels", "scene": "On a train"})
    assert idea.insight_scene == "On a train" and idea.insight_situation == "On a train"


def _draft_via_api(client, owner, insight_body):
    body = {"title": "Quiet stroller wheels", "pitch": "No noise on trains", "category": "kids",
            "insight": insight_body}
    response = client.post("/api/v1/ideas", headers=bearer(owner), json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _submit(client, owner, idea_id):
    return client.post(f"/api/v1/ideas/{idea_id}/submit", headers=bearer(owner),
                       json={"agreement_version": factories.current_agreement().version})


def test_submission_refuses_short_parts_with_field_errors(client):
    owner = factories.user()
    body = _draft_via_api(client, owner, {**factories.GUIDED_INSIGHT_JSON,
                                          "scene": "On a train", "whys": ["Because", "", ""]})
    response = _submit(client, owner, body["id"])
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert "at least 30" in fields["insight.scene"]
    assert {"insight.whys.0", "insight.whys.1", "insight.whys.2"} <= set(fields)
    assert "insight.own_words" not in fields  # recommended, not required


def test_submission_refuses_a_part_that_repeats_another(client):
    owner = factories.user()
    same = "Because the ride sets the mood for her whole day"
    body = _draft_via_api(client, owner, {**factories.GUIDED_INSIGHT_JSON,
                                          "whys": [same, same, "Because she wants to belong"]})
    response = _submit(client, owner, body["id"])
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"insight.whys.1"}


def test_the_first_versions_three_parts_alone_no_longer_pass(client):
    """"s", "e", "p" passed moderation before: now they are refused at once."""
    owner = factories.user()
    response = client.post("/api/v1/ideas", headers=bearer(owner), json={
        "title": "Quiet wheels", "insight": {"situation": "s", "emotion": "e", "purpose": "p"}})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {
        "insight.situation", "insight.emotion", "insight.purpose"}


def test_a_complete_insight_is_submitted_and_returned_under_both_names(client):
    owner = factories.user()
    body = _draft_via_api(client, owner, factories.GUIDED_INSIGHT_JSON)
    response = _submit(client, owner, body["id"])
    assert response.status_code == 200, response.get_json()
    shown = response.get_json()["insight"]
    assert shown["whys"] == factories.GUIDED_INSIGHT_JSON["whys"]
    assert shown["core"] == factories.GUIDED_INSIGHT_JSON["core"]
    assert shown["situation"] == shown["scene"] == factories.GUIDED_INSIGHT_JSON["scene"]
    assert shown["emotion"] == shown["conflict"] and shown["purpose"] == shown["success"]


def test_the_first_versions_names_still_write_their_parts(client):
    owner = factories.user()
    body = _draft_via_api(client, owner, {"situation": "A parent on a crowded morning train",
                                          "emotion": "Worried about noise",
                                          "purpose": "Travel calmly"})
    assert body["insight"]["scene"] == "A parent on a crowded morning train"
    assert body["insight"]["conflict"] == "Worried about noise"
    assert body["insight"]["success"] == "Travel calmly"


def test_the_migration_carries_the_three_parts_over(app):
    from alembic.script import ScriptDirectory
    from flask_migrate import Config, downgrade, upgrade

    idea = factories.idea(status="published")
    idea_id = idea.id
    config = Config()
    config.set_main_option("script_location", app.extensions["migrate"].directory)
    before = ScriptDirectory.from_config(config).get_revision("0041_insight").down_revision
    db.session.remove()
    downgrade(revision=before)
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE ideas SET insight_situation = 'Old situation', "
                                "insight_emotion = 'Old emotion', insight_purpose = 'Old purpose' "
                                "WHERE id = :id"), {"id": idea_id})
    upgrade()
    row = db.session.get(Idea, idea_id)
    assert (row.insight_scene, row.insight_conflict, row.insight_success) == (
        "Old situation", "Old emotion", "Old purpose")
    assert row.insight_core == "" and row.insight_why_1 == ""


def test_the_form_walks_through_every_part_with_examples(client, db):
    owner = factories.user()
    login(client, owner)
    page = client.get("/ideas/new").get_data(as_text=True)
    for part in insight.PARTS:
        assert f'name="{part}"' in page
    assert page.index('name="scene"') < page.index('name="why_1"') < page.index('name="core"')
    assert "Example" in page and "data-insight-rules" in page


def test_the_form_shows_the_placeholder_refusal_on_the_field(client, db):
    owner = factories.user()
    login(client, owner)
    response = client.post("/ideas/new", data={"csrf_token": csrf_token(client), "title": "Wheels",
                                                "scene": "asdf", "category": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This looks like placeholder text" in page


def test_the_form_speaks_japanese(client, db):
    owner = factories.user(locale="ja")
    login(client, owner)
    page = client.get("/ideas/new").get_data(as_text=True)
    assert "場面" in page and "例" in page


def test_the_moderation_page_lists_what_the_insight_lacks(client, db):
    moderator = factories.user("moderator")
    idea = factories.idea(status="pending_moderation", insight_why_3="", insight_core="",
                          insight_own_words="")
    login(client, moderator)
    page = client.get(f"/moderation/ideas/{idea.id}").get_data(as_text=True)
    assert 'data-testid="insight-checklist"' in page
    assert 'data-part="core" data-state="missing"' in page
    assert 'data-part="why_3" data-state="missing"' in page
    assert 'data-part="own_words" data-state="recommended"' in page
    assert 'data-part="scene" data-state="ok"' in page


def test_the_idea_page_shows_the_core_and_the_whys(client, db):
    idea = factories.idea()
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert factories.GUIDED_INSIGHT["insight_core"] in page
    assert factories.GUIDED_INSIGHT["insight_why_2"] in page


def test_the_live_hints_speak_japanese(client, db):
    import json
    import re
    from html import unescape

    owner = factories.user(locale="ja")
    login(client, owner)
    page = client.get("/ideas/new").get_data(as_text=True)
    rules = json.loads(unescape(re.search(r'data-insight-rules="([^"]*)"', page).group(1)))
    assert rules["messages"]["short"] == "あと%(n)s字必要です。"
    assert rules["messages"]["ok"] == "よさそうです。"
    assert "テスト" in rules["words"] and rules["minimum"]["scene"] == 30
    assert "平日の朝7時40分" in page  # the scene's example
