"""The local outbox reads moto's SES backend: fail loudly if that changes."""

from __future__ import annotations

import inspect

from moto.ses.models import Message, SESBackend

from ytcaption.local.outbox import as_text


def test_moto_still_keeps_sent_messages() -> None:
    assert "self.sent_messages" in inspect.getsource(SESBackend.__init__)
    for name in ("id", "source", "subject", "body", "destinations"):
        assert f"self.{name}" in inspect.getsource(Message.__init__), name


def test_html_bodies_read_as_text() -> None:
    assert as_text("<p>Ready &amp; done</p><p>line 1<br>line 2</p>") == "Ready & done\nline 1\nline 2"
