"""The Markdown preview while writing (descriptions, comments, updates): the text rendered by
the renderer used when it is saved (app.markdown: sanitised), as JSON for static/js/app.js.
Without JavaScript the forms' "Preview" buttons post to their own views, which show the same
rendering (app.ideas.views, app.ideas.engagement)."""
from __future__ import annotations

from flask import jsonify
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from app import markdown, ratelimits
from app.extensions import limiter
from app.main import bp


class PreviewForm(FlaskForm):
    text = TextAreaField(validators=[Length(max=markdown.MAX_SOURCE_CHARS)])


@bp.post("/preview")
@limiter.limit(ratelimits.PREVIEW)
def preview():
    """{"html": the rendered text} for a signed-in member (the CSRF token is checked)."""
    if not current_user.is_authenticated:
        return jsonify(error="unauthorized"), 401
    form = PreviewForm()
    if not form.validate():
        return jsonify(error="invalid", fields=form.errors), 422
    return jsonify(html=str(markdown.render_markdown(form.text.data or "")))
