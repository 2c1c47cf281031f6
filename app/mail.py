"""Outgoing mail: SMTP when MAIL_SERVER is set, otherwise written to the log.

Mail is sent only after the transaction that caused it commits. With REDIS_URL set it is queued
in Redis and sent by `flask jobs work` (so web workers never wait for SMTP); without Redis it is
sent in-process right after the commit.
"""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

from app import jobs, observability

log = logging.getLogger("kyoso.mail")


def send_now(to: str, subject: str, body: str) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    # One line: a line break in a header is refused by the email package (and would be a
    # header injection); subjects quote titles and names that members type.
    message["Subject"] = " ".join(subject.split())
    message.set_content(body)
    if not config.get("MAIL_SERVER"):
        log.info("Mail (no MAIL_SERVER set) to %s: %s\n%s", to, subject, body)
        observability.mail_sent()
        return
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
    except Exception:
        observability.mail_failed()
        raise
    observability.mail_sent()


def send_mail(to: str, subject: str, body: str) -> None:
    """Send once the current transaction commits (never for a rolled-back change)."""
    jobs.enqueue("mail", {"to": to, "subject": subject, "body": body})


jobs.register("mail", lambda payload: send_now(payload["to"], payload["subject"], payload["body"]))
