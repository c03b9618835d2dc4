"""The access log never shows a secret from a URL's query."""

from __future__ import annotations

import logging

from laotie.app import create_app
from laotie.config import Settings
from laotie.kit.redact import RedactSecrets, redact


def test_tokens_in_queries_are_redacted() -> None:
    assert redact("/media/hooks/publish?token=abc123&app=live") == "/media/hooks/publish?token=…&app=live"
    assert redact("/x?a=1&KEY=s3cr3t") == "/x?a=1&KEY=…"
    assert redact("/products?q=token") == "/products?q=token"


def test_the_app_redacts_uvicorns_access_records(settings: Settings) -> None:
    create_app(settings)
    logger = logging.getLogger("uvicorn.access")
    assert any(isinstance(f, RedactSecrets) for f in logger.filters)
    record = logger.makeRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "POST", "/media/hooks/publish?token=abc", "1.1", 200), None)
    for f in logger.filters:
        f.filter(record)
    assert "abc" not in record.getMessage() and "token=…" in record.getMessage()
