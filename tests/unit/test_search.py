"""Full-text search: English words, Japanese text, hostile FTS syntax, visibility."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Idea
from app.queries import visible_ideas
from app.search import fts5_query, search_condition, terms
from tests import factories


def found(q, viewer=None):
    stmt = visible_ideas(viewer).where(search_condition(q)).order_by(Idea.id)
    return [idea.title for idea in db.session.scalars(stmt)]


@pytest.fixture
def ideas(app):
    owner = factories.user()
    factories.idea(owner, title="Folding umbrella stand", pitch="Dries wet brollies by the door")
    factories.idea(owner, title="Camping lantern hook", pitch="Hang a lantern from any branch",
                   description="Works with carabiners and paracord.")
    factories.idea(owner, title="折りたたみ傘ホルダー", pitch="電車の中で濡れた傘をすっきり収納")
    factories.idea(owner, title="Secret hidden organizer", pitch="A hidden idea", hidden=True)
    factories.idea(owner, title="Draft organizer", pitch="Not submitted yet", status="draft")


def test_search_finds_an_english_word_in_title_pitch_or_description(ideas):
    assert found("umbrella") == ["Folding umbrella stand"]
    assert found("lantern") == ["Camping lantern hook"]
    assert found("paracord") == ["Camping lantern hook"]


def test_search_is_case_insensitive_and_needs_every_word(ideas):
    assert found("CAMPING Lantern") == ["Camping lantern hook"]
    assert found("camping umbrella") == []


def test_search_finds_japanese_text(ideas):
    assert found("折りたたみ") == ["折りたたみ傘ホルダー"]
    assert found("濡れた傘") == ["折りたたみ傘ホルダー"]


def test_search_finds_short_japanese_words(ideas):
    assert found("傘") == ["折りたたみ傘ホルダー"]


def test_search_never_finds_hidden_or_unpublished_ideas(ideas):
    assert found("organizer") == []
    assert found("hidden") == []


def test_moderators_listing_search_excludes_hidden_ideas_too(ideas):
    moderator = factories.user("moderator")
    assert found("organizer", moderator) == []


@pytest.mark.parametrize("q", ['"', '""', '"umbrella', "*", "umb*", "AND(", "OR", "NOT",
                               "NEAR(a b)", "title:umbrella", "^umbrella", "a AND (b OR",
                               "'; DROP TABLE ideas; --", "%", "_", "\\", "(((", "-", "+",
                               "{title pitch}: x", "\x00umbrella"])
def test_fts_syntax_characters_never_crash(ideas, q):
    found(q)  # no exception; a syntax error would be a 500 in the app


def test_like_wildcards_in_short_words_are_literal(ideas):
    assert found("%") == []
    assert found("_") == []


def test_quoted_terms_are_matched_as_text(app):
    factories.idea(title='The "AND" lamp', pitch="Lights up when both switches are on")
    assert found('"AND"') == ['The "AND" lamp']
    assert found("lamp") == ['The "AND" lamp']


def test_fts5_query_quotes_every_term():
    assert fts5_query(['say"hi', "AND("]) == '"say""hi" "AND("'


def test_terms_are_bounded_and_drop_control_characters():
    assert terms("  a\x00b   c ") == ["ab", "c"]
    assert len(terms("w " * 100)) <= 12


def test_search_index_follows_title_changes(ideas):
    idea = db.session.scalar(select(Idea).where(Idea.title == "Folding umbrella stand"))
    idea.title = "Folding parasol stand"
    db.session.commit()
    assert found("parasol") == ["Folding parasol stand"]
    assert found("umbrella stand") == []


def test_mixed_english_and_japanese_words_must_all_match(ideas):
    factories.idea(title="Compact 折りたたみ傘 pouch", pitch="For commuters")
    assert found("compact 折りたたみ") == ["Compact 折りたたみ傘 pouch"]
    assert found("compact 弁当") == []


# --- PostgreSQL: the stored search document (migration 0006) --------------------------------

def test_a_typo_still_finds_the_word(ideas):
    assert found("umbrela") == ["Folding umbrella stand"]
    assert found("umbrela stand") == ["Folding umbrella stand"]


def test_short_typos_do_not_match_lookalikes(ideas):
    assert found("lamb") == []


@pytest.mark.postgres_only
def test_short_latin_words_match_word_beginnings(ideas):
    assert found("um") == ["Folding umbrella stand"]


@pytest.mark.postgres_only
def test_japanese_words_and_single_kanji_come_from_the_stored_grams(ideas):
    assert found("傘") == ["折りたたみ傘ホルダー"]
    assert found("収納") == ["折りたたみ傘ホルダー"]
    assert found("たたみ傘") == ["折りたたみ傘ホルダー"]
    assert found("傘たたみ") == []  # every gram is there, but not as one substring


@pytest.mark.postgres_only
def test_the_search_document_is_stored_and_indexed(ideas):
    from sqlalchemy import text

    plan = "\n".join(db.session.execute(text(
        "EXPLAIN SELECT id FROM ideas WHERE search_vector @@ '傘'::tsquery")).scalars())
    assert "ix_ideas_search" in plan or "Seq Scan" in plan  # tiny tables may be scanned
    vector = db.session.execute(text(
        "SELECT search_vector::text FROM ideas WHERE title = '折りたたみ傘ホルダー'")).scalar()
    assert "'傘'" in vector and "'収納'" in vector


def test_english_words_and_japanese_text_rank_title_matches_first(app):
    from app.services import discovery

    factories.idea(title="Desk hook", pitch="Also holds an umbrella")
    factories.idea(title="Umbrella stand", pitch="For the hall")
    factories.idea(title="玄関の傘立て", pitch="スリムな収納")
    factories.idea(title="Shoe rack", pitch="傘も置ける")
    titles = lambda q: [i.title for i in discovery.browse(None, q=q, sort="relevance")[0]]  # noqa: E731
    assert titles("umbrella") == ["Umbrella stand", "Desk hook"]
    assert set(titles("傘")) == {"玄関の傘立て", "Shoe rack"}


def test_a_typo_finds_the_word_and_ranks_below_it(app):
    from app.search import search

    factories.idea(title="Umbrela-shaped lamp", pitch="A lamp")  # the typo is in the title
    factories.idea(title="Umbrella drip tray", pitch="Catches the drops")
    assert set(found("umbrela")) == {"Umbrela-shaped lamp", "Umbrella drip tray"}
    match = search("umbrela")
    ranked = visible_ideas(None).where(match.condition).order_by(match.rank.desc().nulls_last(), Idea.id)
    assert [idea.title for idea in db.session.scalars(ranked)] == ["Umbrela-shaped lamp", "Umbrella drip tray"]


def test_a_typo_needs_most_of_the_word(ideas):
    assert found("umbxxxxla") == []
    assert found("lanterm") == ["Camping lantern hook"]
    assert found("lanturn") == []  # two of its five trigrams: another word
