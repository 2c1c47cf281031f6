"""Compiled templates are kept for the process (app.templating.BYTECODE): a second app renders
a page without compiling its templates again, and a template whose source changed is compiled
afresh rather than served stale."""
from __future__ import annotations

from jinja2 import DictLoader, Environment

from app import create_app
from app.templating import ProcessBytecodeCache
from tests.conftest import make_config


def test_a_second_app_renders_without_compiling_again(app, database_url, tmp_path, monkeypatch):
    assert app.test_client().get("/login").status_code == 200
    compiled: list[str] = []
    original = Environment.compile

    def counting(self, source, name=None, *args, **kwargs):
        compiled.append(name)
        return original(self, source, name, *args, **kwargs)

    monkeypatch.setattr(Environment, "compile", counting)
    second = create_app(make_config(database_url, str(tmp_path / "second")))
    response = second.test_client().get("/login")
    assert response.status_code == 200 and b"<form" in response.data
    assert compiled == []


def test_an_edited_template_is_compiled_again():
    cache = ProcessBytecodeCache()
    templates = {"page.html": "Hello {{ name }}"}
    first = Environment(loader=DictLoader(templates), bytecode_cache=cache)
    assert first.get_template("page.html").render(name="Aiko") == "Hello Aiko"
    templates["page.html"] = "Goodbye {{ name }}"
    second = Environment(loader=DictLoader(templates), bytecode_cache=cache)
    assert second.get_template("page.html").render(name="Aiko") == "Goodbye Aiko"
