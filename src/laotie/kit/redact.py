"""Secrets never reach the access log: a `token=` in a logged URL is written as `token=…`.

nginx-rtmp can only authenticate its callbacks with a query parameter (the media plane's
`on_publish …?token=`), and uvicorn's access log writes every request's path and query.
"""

from __future__ import annotations

import logging
import re

_SECRET_QUERY = re.compile(r"((?:^|[?&])(?:token|key|secret)=)[^&\s\"]+", re.IGNORECASE)


def redact(text: str) -> str:
    return _SECRET_QUERY.sub(r"\1…", text)


class RedactSecrets(logging.Filter):
    """Rewrites the request line of uvicorn's access records (its args) before they are formatted."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install(logger_name: str = "uvicorn.access") -> None:
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())
