"""The Japanese catalogue: complete, consistent with the code, compiled, and safe to format."""
from __future__ import annotations

import shutil
import tempfile
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from flask_babel import force_locale, gettext

from app import i18n_cli, labels
from config import BASE_DIR

TRANSLATIONS = BASE_DIR / "app" / "translations"
POT = TRANSLATIONS / "messages.pot"
JA_PO = TRANSLATIONS / "ja" / "LC_MESSAGES" / "messages.po"
JA_MO = TRANSLATIONS / "ja" / "LC_MESSAGES" / "messages.mo"

#: The product's vocabulary (PRODUCT.md): one Japanese word per concept, everywhere.
STATUS_JA = {
    "draft": "下書き", "pending_moderation": "承認待ち", "needs_changes": "要修正",
    "rejected": "却下", "published": "サポート受付中", "expired": "期限切れ",
    "qualified": "審査対象", "withdrawn": "取り下げ", "in_review": "審査中", "approved": "採用",
    "not_approved": "不採用", "on_hold": "保留", "in_production": "製品化中", "on_sale": "販売中",
}
GLOSSARY = {
    "Browse ideas": "アイデアを探す", "Supporters": "サポーター", "Support": "サポートする",
    "Creator agreement": "クリエイター規約", "Moderation": "モデレーション", "Review": "レビュー",
    "Reviewer": "レビュアー", "My royalties": "ロイヤリティ", "Co-create products with the people "
    "who use them": "使う人といっしょに、製品をつくろう",
}


@pytest.fixture(scope="module")
def pot() -> Catalog:
    return i18n_cli.read_catalog(POT)


@pytest.fixture(scope="module")
def ja() -> Catalog:
    return i18n_cli.read_catalog(JA_PO, "ja")


@pytest.fixture(scope="module")
def flask_app():
    """An app without a database: only its configuration and Flask-Babel are used."""
    from app import create_app
    from tests.conftest import make_config

    folder = tempfile.mkdtemp(prefix="kyoso-i18n-")
    app = create_app(make_config(f"sqlite:///{folder}/unused.db", folder))
    yield app
    shutil.rmtree(folder, ignore_errors=True)


def _keys(catalog: Catalog) -> set:
    return {i18n_cli.message_key(message) for message in catalog if message.id}


def _as_dict(catalog: Catalog) -> dict:
    return {message.id if isinstance(message.id, str) else tuple(message.id):
            message.string if isinstance(message.string, str) else tuple(message.string)
            for message in catalog if message.id}


def test_pot_holds_every_message_of_the_code_and_templates(pot):
    fresh = _keys(i18n_cli.extract())
    assert fresh - _keys(pot) == set(), "new messages: run `flask i18n update` and translate them"
    assert _keys(pot) - fresh == set(), "messages gone from the code: run `flask i18n update`"


def test_japanese_catalogue_is_merged_with_the_pot(pot, ja):
    assert _keys(ja) == _keys(pot)


def test_every_message_has_a_japanese_translation(ja):
    missing = [message.id for message in i18n_cli.untranslated(ja)]
    assert missing == []
    assert not [message.id for message in ja if message.id and message.fuzzy]
    assert len(ja) > 1000


def test_translations_keep_every_placeholder_and_no_stray_percent_sign(ja):
    assert i18n_cli.placeholder_problems(ja) == []


def test_translations_keep_line_breaks_of_mail_bodies(ja):
    for message in ja:
        if isinstance(message.id, str) and "\n\n" in message.id:
            assert message.string.count("\n\n") == message.id.count("\n\n"), message.id


def test_placeholder_check_catches_broken_translations():
    catalog = Catalog(locale="ja")
    catalog.add("Hello %(name)s", "こんにちは")  # placeholder dropped
    catalog.add("Use %(n)s", "%(m)s を使う")  # wrong name
    catalog.add("25%% more", "25% 増")  # lone % breaks "..." % values
    catalog.add(("%(num)s idea", "%(num)s ideas"), ("アイデア",))  # count missing
    catalog.add("Fine %(n)s and 100%%", "%(n)s と 100%%")
    problems = i18n_cli.placeholder_problems(catalog)
    assert len(problems) == 4
    assert not any("Fine" in problem for problem in problems)


def test_japanese_uses_one_plural_form(ja):
    assert ja.num_plurals == 1
    for message in ja:
        if isinstance(message.id, (list, tuple)) and message.id[0]:
            assert len(message.string) == 1 and message.string[0], message.id


def test_compiled_mo_is_up_to_date_with_the_po(ja):
    with open(JA_MO, "rb") as fileobj:
        on_disk = read_mo(fileobj)
    in_memory = read_mo(BytesIO(i18n_cli.compiled(ja)))
    assert _as_dict(on_disk) == _as_dict(in_memory), "run `flask i18n compile`"
    assert len(_as_dict(on_disk)) == len(ja)


def test_vocabulary_is_consistent(ja):
    strings = [s for m in ja if m.id for s in ([m.string] if isinstance(m.string, str) else m.string)]
    assert not [s for s in strings if "応援" in s], "support is サポート, never 応援"
    for english, japanese in GLOSSARY.items():
        assert ja.get(english).string == japanese, english


def test_flask_babel_loads_the_catalogue_from_app_translations(flask_app):
    assert i18n_cli.translations_dir(flask_app) == Path(flask_app.root_path) / "translations"
    assert i18n_cli.translations_dir(flask_app) == TRANSLATIONS
    with flask_app.test_request_context("/"), force_locale("ja"):
        assert gettext("Browse ideas") == "アイデアを探す"
        assert gettext("Hello, %(name)s", name="花子") == "こんにちは、花子 さん"
    with flask_app.test_request_context("/"), force_locale("en"):
        assert gettext("Browse ideas") == "Browse ideas"


def test_every_idea_status_has_a_label_in_both_languages(flask_app):
    from app.models.ideas import STATUSES

    assert set(labels.STATUS_LABELS) == set(STATUSES)
    with flask_app.test_request_context("/"), force_locale("ja"):
        assert {status: labels.status_label(status) for status in STATUSES} == STATUS_JA
    with flask_app.test_request_context("/"), force_locale("en"):
        assert labels.status_label("in_review") == "In review"
        assert labels.status_label("published") == "Gathering support"
        assert labels.status_label("someday_new") == "someday new"
        assert labels.status_label(None) == ""


def test_status_label_is_a_template_global(flask_app):
    from flask import render_template_string

    with flask_app.test_request_context("/?lang=ja"):
        assert render_template_string("{{ status_label('on_hold') }}") == "保留"
        # Escaped like any other value in a template.
        assert render_template_string("{{ status_label('<b>x') }}") == "&lt;b&gt;x"


def test_messages_translated_from_variables_are_in_the_catalogue(ja):
    """Other modules call gettext(variable): every value they can pass must be translated."""
    from app import images, permissions
    from app.models.review import BATCH_STATUSES
    from app.services import discovery, review

    looked_up = [*review.AXIS_LABELS.values(), *review.DECISION_LABELS.values(),
                 *review.COI_MESSAGES.values(), *images._MESSAGES.values(),
                 "This image cannot be accepted.", *BATCH_STATUSES, *permissions.MESSAGES.values(),
                 *(text for legend in review.LEGEND.values() for text in legend.values()),
                 *(label._args[0] for label in discovery.SORT_LABELS.values()),
                 *(label._args[0] for label in discovery.STATUS_LABELS.values())]
    for text in looked_up:
        message = ja.get(text)
        assert message is not None and message.string, text


def test_error_pages_get_translated_messages(flask_app):
    from werkzeug.exceptions import NotFound, TooManyRequests

    with flask_app.test_request_context("/"), force_locale("ja"):
        assert labels.http_error_message(404, NotFound.description) == \
            "お探しのページは見つかりませんでした。アドレスを確認するか、ホームからやり直してください。"
        assert labels.http_error_message(429, TooManyRequests.description).startswith("短時間に")
        # A specific description is kept (translated when the catalogue knows it).
        assert labels.http_error_message(404, "No such idea.") == "該当するアイデアがありません。"
        assert labels.http_error_message(404, "Idea <b>7</b> is gone") == "Idea <b>7</b> is gone"
        assert labels.translated("Only moderators may do this.") == \
            "これを行えるのはモデレーターだけです。"
        assert labels.translated(None) == ""
    with flask_app.test_request_context("/"), force_locale("en"):
        assert labels.http_error_message(404, NotFound.description).startswith("The page you asked")
        assert labels.http_error_message(418, "I'm a teapot") == "I'm a teapot"


def test_cli_update_and_compile_build_a_catalogue(flask_app, monkeypatch, tmp_path):
    """`flask i18n update` keeps existing translations and adds new messages untranslated;
    `flask i18n compile` writes the .mo that Flask-Babel reads."""
    target = tmp_path / "ja" / "LC_MESSAGES"
    target.mkdir(parents=True)
    catalog = i18n_cli.read_catalog(JA_PO, "ja")
    catalog.delete("Browse ideas")
    catalog.add("A message the code no longer has", "古いメッセージ")
    i18n_cli.save_catalog(catalog, target / "messages.po")
    monkeypatch.setitem(flask_app.config, "BABEL_TRANSLATION_DIRECTORIES", str(tmp_path))
    runner = flask_app.test_cli_runner()

    result = runner.invoke(args=["i18n", "update"])
    assert result.exit_code == 0, result.output
    assert "'Browse ideas'" in result.output
    updated = i18n_cli.read_catalog(target / "messages.po", "ja")
    assert updated.get("Browse ideas").string == ""
    assert updated.get("A message the code no longer has") is None
    assert updated.get("Post an idea").string == "アイデアを投稿"
    assert (tmp_path / "messages.pot").exists()

    check = runner.invoke(args=["i18n", "check"])
    assert check.exit_code != 0 and "messages untranslated" in check.output

    result = runner.invoke(args=["i18n", "compile"])
    assert result.exit_code == 0, result.output
    with open(target / "messages.mo", "rb") as fileobj:
        compiled = read_mo(fileobj)
    assert compiled.get("Post an idea").string == "アイデアを投稿"


def test_cli_compile_refuses_a_translation_that_would_crash_formatting(flask_app, monkeypatch,
                                                                        tmp_path):
    target = tmp_path / "ja" / "LC_MESSAGES"
    target.mkdir(parents=True)
    catalog = i18n_cli.read_catalog(JA_PO, "ja")
    catalog.get("Hello, %(name)s").string = "こんにちは、%(nmae)s さん"
    i18n_cli.save_catalog(catalog, target / "messages.po")
    monkeypatch.setitem(flask_app.config, "BABEL_TRANSLATION_DIRECTORIES", str(tmp_path))
    result = flask_app.test_cli_runner().invoke(args=["i18n", "compile"])
    assert result.exit_code != 0
    assert "placeholders differ" in result.output
    assert not (target / "messages.mo").exists()
