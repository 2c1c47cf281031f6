"""The detector of the Japanese-pages browser test (tests/browser/english_runs.py)."""
from tests.browser.english_runs import UserContent, english_runs


def test_untranslated_sentences_and_codes_are_found():
    assert english_runs("Reached 10000 supporters") == ["Reached 10000 supporters"]
    assert english_runs("ロール: product_manager") == ["product_manager"]
    assert english_runs("残り 500 characters left") == ["500 characters left"]


def test_japanese_numbers_addresses_and_capital_codes_pass():
    assert english_runs("サポーター10,000人に到達") == []
    assert english_runs("hana@kyoso.local · https://kyoso.example/ideas/1 · /ideas/2") == []
    assert english_runs("SHA-256 · JPY 1,000 · SUPPORT_MILESTONES") == []
    assert english_runs("Asia/Tokyo", time_zones=frozenset({"Asia/Tokyo"})) == []


def test_what_people_wrote_is_left_out_but_the_words_around_it_are_not():
    corpus = UserContent.of(["Bob Martin", "A long description of the lantern hook."])
    assert english_runs("作成者: Bob Martin", corpus) == []
    assert english_runs("description of the lantern", corpus) == []
    assert english_runs("by Bob Martin today", corpus) == ["by today"]
    assert english_runs("Bob Martinez", UserContent.of(["Martin"])) == ["Bob Martinez"]
