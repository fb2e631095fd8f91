"""The e-mail channel: a digest as a MIME message, sent over SMTP with retries.

E-mail: transient failures (connection refused or lost, timeouts, 4xx replies) are retried
``max_attempts`` times with exponential backoff (``backoff_seconds`` × 2^n, via the
injectable ``sleep``); permanent ones (5xx: authentication failed, recipient refused) stop
at once, since the same request would fail again.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from scheduler.delivery_settings import DeliveryError, SmtpSettings, as_utc
from scheduler.digest import Digest, file_slug, render_html, render_markdown

# The logger of the module this code came from (`scheduler.delivery`): log records unchanged.
log = logging.getLogger("scheduler.delivery")

# -- e-mail -----------------------------------------------------------------------------------


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "internscout.invalid"


def digest_message_id(digest_id: int, period_key: str) -> str:
    # Stable across retries of one digest: a receiver that got a copy can drop the repeat.
    return f"digest.{digest_id}.{file_slug(period_key)}"


def build_email(
    digest: Digest, to: str, smtp: SmtpSettings, chart: bytes | None, message_id: str
) -> EmailMessage:
    """multipart/alternative: text/plain (the Markdown), then multipart/related (the HTML and
    the chart as an inline image/png whose Content-ID the HTML's <img src="cid:..."> names)."""
    domain = _domain(smtp.sender)
    cid = f"skills-chart.{message_id}@{domain}"
    msg = EmailMessage()
    msg["Subject"] = digest.subject
    msg["From"] = smtp.sender
    msg["To"] = to
    msg["Date"] = format_datetime(as_utc(digest.generated_at))
    msg["Message-ID"] = f"<{message_id}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(render_markdown(digest, None))
    msg.add_alternative(render_html(digest, f"cid:{cid}" if chart else None), subtype="html")
    if chart:
        html_part = msg.get_payload()[1]  # type: ignore[index]
        html_part.add_related(
            chart, "image", "png", cid=f"<{cid}>", disposition="inline", filename="skills.png"
        )
    return msg


def _tls_context() -> ssl.SSLContext:
    """The system's trusted CAs, certificate and host name checked (tests swap in their CA)."""
    return ssl.create_default_context()


def send_email(msg: EmailMessage, smtp: SmtpSettings) -> None:
    """One SMTP session: connect (TLS for "ssl"), STARTTLS when asked (never silently
    skipped), log in only when a user is set, send."""
    context = _tls_context()
    client: smtplib.SMTP
    if smtp.security == "ssl":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    with client:
        client.ehlo()
        if smtp.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
        client.send_message(msg)


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}".strip()


def classify_smtp_error(exc: BaseException, host: str = "", port: int = 0) -> tuple[str, bool]:
    """(a message naming no secret, permanent?) for an exception from `send_email`."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"SMTP login refused ({_reply(exc.smtp_code, exc.smtp_error)})", True
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"SMTP server does not support it: {exc}", True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        text = "; ".join(f"{r}: {_reply(c, m)}" for r, (c, m) in exc.recipients.items())
        return f"recipient refused ({text})", all(c >= 500 for c in codes)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"sender {exc.sender} refused ({_reply(exc.smtp_code, exc.smtp_error)})", (
            exc.smtp_code >= 500
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"SMTP error ({_reply(exc.smtp_code, exc.smtp_error)})", exc.smtp_code >= 500
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"SMTP server {host}:{port} closed the connection ({exc})", False
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate of {host}:{port} not trusted ({exc.verify_message})", True
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return f"SMTP server {host}:{port} timed out", False
    if isinstance(exc, ConnectionError | socket.gaierror):
        reason = exc.strerror or str(exc)
        return f"cannot connect to SMTP server {host}:{port} ({reason})", False
    if isinstance(exc, OSError):
        return f"SMTP connection to {host}:{port} failed ({exc.strerror or exc})", False
    return f"SMTP failure ({type(exc).__name__}: {exc})", False


def send_with_retry(
    send: Callable[[], None],
    max_attempts: int,
    backoff_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    what: str = "e-mail",
    classify: Callable[[BaseException], tuple[str, bool]] | None = None,
) -> int:
    """Call `send` until it succeeds (returns the attempt count) or a DeliveryError is raised:
    after a permanent failure, or after `max_attempts` transient ones, waiting
    backoff × 2^(n-1) seconds after the n-th."""
    classify = classify or classify_smtp_error
    attempts = max(1, max_attempts)
    for attempt in range(1, attempts + 1):
        try:
            send()
            return attempt
        except (smtplib.SMTPException, OSError) as exc:
            text, permanent = classify(exc)
            log.warning("%s: attempt %d of %d failed: %s", what, attempt, attempts, text)
            if permanent or attempt == attempts:
                tries = f"{attempt} attempt{'' if attempt == 1 else 's'}"
                raise DeliveryError(f"{what}: {text} after {tries}", permanent) from exc
            sleep(backoff_seconds * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


__all__ = [
    "build_email",
    "classify_smtp_error",
    "digest_message_id",
    "send_email",
    "send_with_retry",
]
