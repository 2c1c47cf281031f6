"""Outgoing mail: SMTP when MAIL_SERVER is set, otherwise written to the log."""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

from app.jobs import after_commit

log = logging.getLogger("kyoso.mail")


def send_now(to: str, subject: str, body: str) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if not config.get("MAIL_SERVER"):
        log.info("Mail (no MAIL_SERVER set) to %s: %s\n%s", to, subject, body)
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


def send_mail(to: str, subject: str, body: str) -> None:
    """Send once the current transaction commits (never for a rolled-back change)."""
    app = current_app._get_current_object()

    def job() -> None:
        with app.app_context():
            send_now(to, subject, body)

    after_commit(job)
