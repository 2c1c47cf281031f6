"""flask i18n extract | update | compile | check: keep the translations in step with the code.

The procedure after changing user-visible text:

    flask i18n update     # extract every message into app/translations/messages.pot and merge
                          # it into each language's messages.po; lists what is untranslated
    (translate the listed messages in app/translations/<lang>/LC_MESSAGES/messages.po)
    flask i18n compile    # messages.po -> messages.mo, which Flask-Babel loads
    flask i18n check      # exit status 1 if anything is missing, stale or uncompiled (CI)

Everything goes through Babel's Python API, so no `pybabel` executable is needed. Equivalent
pybabel command: pybabel extract -F babel.cfg -k _l -k lazy_gettext -k _t -o <pot> .
"""
from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from flask import Blueprint, Flask, current_app

from config import BASE_DIR

#: Gettext functions beyond Babel's defaults: the lazy ones of forms and module-level tables,
#: the request-aware helper of app.services.discovery, and N_ (mark only: notification kinds).
EXTRA_KEYWORDS = ("_l", "lazy_gettext", "_t", "N_")
DOMAIN = "messages"
PROJECT = "Kyoso"
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?([-#0 +]*\d*(?:\.\d+)?[sdifr%])")

#: A CLI-only blueprint: `flask i18n ...` is its group (registered with the app's blueprints).
bp = Blueprint("i18n_cli", __name__, cli_group="i18n")
bp.cli.help = "Translations: extract, update and compile the catalogues."


# --- paths ---------------------------------------------------------------------------------------

def translations_dir(app: Flask | None = None) -> Path:
    """Where Flask-Babel looks: <app.root_path>/translations (BABEL_TRANSLATION_DIRECTORIES)."""
    app = app or current_app
    return Path(app.root_path) / app.config.get("BABEL_TRANSLATION_DIRECTORIES", "translations")


def template_path(app: Flask | None = None) -> Path:
    return translations_dir(app) / f"{DOMAIN}.pot"


def po_path(locale: str, app: Flask | None = None) -> Path:
    return translations_dir(app) / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(locale: str, app: Flask | None = None) -> Path:
    return po_path(locale, app).with_suffix(".mo")


def target_locales(app: Flask | None = None) -> list[str]:
    app = app or current_app
    return [lang for lang in app.config["LANGUAGES"] if lang != app.config["BABEL_DEFAULT_LOCALE"]]


# --- catalogues ----------------------------------------------------------------------------------

def extract(base_dir: Path = BASE_DIR) -> Catalog:
    """Every translatable message of the code and templates, as babel.cfg maps them."""
    with open(base_dir / "babel.cfg", encoding="utf-8") as fileobj:
        method_map, options_map = parse_mapping_cfg(fileobj)
    keywords = dict(DEFAULT_KEYWORDS)
    keywords.update({name: None for name in EXTRA_KEYWORDS})
    catalog = Catalog(project=PROJECT, charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(base_dir), method_map, options_map, keywords=keywords):
        catalog.add(message, None, [(Path(filename).as_posix(), lineno)],
                    auto_comments=comments, context=context)
    return catalog


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with open(path, "rb") as fileobj:
        return read_po(fileobj, locale=locale)


def save_catalog(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = BytesIO()
    write_po(buffer, catalog, width=100, ignore_obsolete=True, include_previous=False)
    path.write_bytes(buffer.getvalue())


def compiled(catalog: Catalog) -> bytes:
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def message_key(message) -> tuple:
    return (message.context, message.id if isinstance(message.id, str) else tuple(message.id))


def untranslated(catalog: Catalog) -> list:
    """Messages without a complete, non-fuzzy translation."""
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if message.fuzzy or not all(strings):
            missing.append(message)
    return missing


def placeholders(text: str) -> set[str]:
    """The %-placeholders of a string: %(name)s, %s, %% ..."""
    return {match.group(0) for match in PLACEHOLDER.finditer(text)}


def stray_percent(text: str) -> int:
    """Percent signs that are not part of a placeholder (they break "..." % values)."""
    return PLACEHOLDER.sub("", text).count("%")


def placeholder_problems(catalog: Catalog) -> list[str]:
    """Translations whose %-placeholders differ from their msgid's (every form of a plural)."""
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        expected = set().union(*(placeholders(text) for text in ids))
        for string in strings:
            if string and (placeholders(string) != expected or stray_percent(string)):
                problems.append(f"{ids[0]!r}: {string!r}")
    return problems


# --- commands ------------------------------------------------------------------------------------

def _write_template(catalog: Catalog) -> None:
    save_catalog(catalog, template_path())


def _update_locale(template: Catalog, locale: str) -> Catalog:
    path = po_path(locale)
    if path.exists():
        catalog = read_catalog(path, locale)
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
    else:
        catalog = Catalog(locale=locale, domain=DOMAIN, project=PROJECT, charset="utf-8",
                          fuzzy=False)
        catalog.update(template, no_fuzzy_matching=True)
    catalog.fuzzy = False
    save_catalog(catalog, path)
    return catalog


@bp.cli.command("extract")
def extract_command() -> None:
    """Write every translatable message into messages.pot."""
    template = extract()
    _write_template(template)
    click.echo(f"{len(template)} messages -> {template_path()}")


@bp.cli.command("update")
@click.option("--show/--no-show", default=True, help="List the untranslated messages.")
def update_command(show: bool) -> None:
    """Extract the messages and merge them into every language's messages.po."""
    template = extract()
    _write_template(template)
    click.echo(f"{len(template)} messages -> {template_path()}")
    for locale in target_locales():
        catalog = _update_locale(template, locale)
        missing = untranslated(catalog)
        click.echo(f"{locale}: {len(catalog) - len(missing)} translated, {len(missing)} to translate"
                   f" -> {po_path(locale)}")
        if show:
            for message in missing:
                where = ", ".join(f"{f}:{n}" for f, n in message.locations[:2])
                click.echo(f"  {message.id!r}  ({where})")


@bp.cli.command("compile")
def compile_command() -> None:
    """Compile every messages.po into the messages.mo that Flask-Babel loads."""
    for locale in target_locales():
        catalog = read_catalog(po_path(locale), locale)
        problems = placeholder_problems(catalog)
        if problems:
            raise click.ClickException(f"{locale}: placeholders differ:\n  " + "\n  ".join(problems))
        mo_path(locale).write_bytes(compiled(catalog))
        missing = len(untranslated(catalog))
        click.echo(f"{locale}: {len(catalog) - missing} of {len(catalog)} messages compiled"
                   f" -> {mo_path(locale)}")


def untranslated_kinds(catalog: Catalog, locale: str) -> list[str]:
    """Every registered notification kind must be in the catalogue, translated."""
    from app.notification_kinds import KINDS

    problems = []
    for kind in KINDS.values():
        message = catalog.get(kind.template)
        if message is None or message.fuzzy or not message.string:
            problems.append(f"{locale}: notification kind {kind.name!r} is not translated")
    return problems


@bp.cli.command("check")
def check_command() -> None:
    """Fail if the catalogues miss messages of the code, translations or a fresh .mo."""
    errors = []
    fresh = {message_key(m) for m in extract() if m.id}
    template = {message_key(m) for m in read_catalog(template_path()) if m.id}
    if fresh != template:
        errors.append(f"messages.pot is stale: {len(fresh - template)} new, "
                      f"{len(template - fresh)} gone (run flask i18n update)")
    for locale in target_locales():
        catalog = read_catalog(po_path(locale), locale)
        if {message_key(m) for m in catalog if m.id} != fresh:
            errors.append(f"{locale}: messages.po is not merged with the code (flask i18n update)")
        if missing := untranslated(catalog):
            errors.append(f"{locale}: {len(missing)} messages untranslated")
        errors += [f"{locale}: {problem}" for problem in placeholder_problems(catalog)]
        errors += untranslated_kinds(catalog, locale)
        if not mo_path(locale).exists() or mo_path(locale).read_bytes() != compiled(catalog):
            errors.append(f"{locale}: messages.mo is out of date (flask i18n compile)")
    if errors:
        raise click.ClickException("\n".join(errors))
    click.echo("translations are complete and compiled")
