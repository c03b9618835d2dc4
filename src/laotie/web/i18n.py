"""Pages in Chinese and English: the visitor's locale, gettext catalogs, locale formatting.

The catalogs are pybabel `.po` files under `laotie/locale/<locale>/LC_MESSAGES/`. They are
compiled in memory when first used, so the repository holds no compiled `.mo` files and an
edited catalog takes effect at the next start. Message ids are English; zh-CN is the default,
because the people who use such a platform read Chinese first.

The locale comes from the language switch's cookie, else the browser's `Accept-Language`,
else zh-CN. It is set for the rendering of one page (a context variable), so the template
globals `_`, `gettext` and `ngettext` and the formatting filters follow it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from laotie.kit.errors import Message, fill

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LOCALES = ("zh_CN", "en")
DEFAULT = "zh_CN"
COOKIE = "laotie_lang"
# What the language switch shows for each locale, in that locale.
NAMES = {"zh_CN": "中文", "en": "English"}
# The `lang` attribute of a page in that locale.
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}

_current: ContextVar[str] = ContextVar("laotie_locale", default=DEFAULT)


def N_(message: str) -> str:  # the gettext convention for "translate later"
    """Mark a string defined in Python for extraction; templates translate it with `_()`."""
    return message


def normalise(tag: str | None) -> str | None:
    """One of LOCALES for a language tag such as `zh-CN`, `zh-Hans`, `en-GB`; None otherwise."""
    if not tag:
        return None
    tag = tag.strip().replace("-", "_").lower()
    if tag.startswith("zh"):
        return "zh_CN"
    if tag == "en" or tag.startswith("en_"):
        return "en"
    return None


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The locale for a request: the switch's cookie, else the best `Accept-Language` match."""
    chosen = normalise(cookie)
    if chosen:
        return chosen
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "")[:500].split(",")[:20]):
        tag, _, params = part.partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        locale = normalise(tag)
        if locale and quality > 0:
            weighted.append((-quality, index, locale))
    return min(weighted)[2] if weighted else DEFAULT


@cache
def translations(locale: str) -> Translations:
    """The compiled catalog of one locale (an empty one when the file is missing)."""
    path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return Translations()
    with path.open("rb") as f:
        catalog = read_po(f, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def current() -> str:
    return _current.get()


@contextmanager
def using(locale: str) -> Iterator[None]:
    """Render (or format) in this locale until the block ends."""
    token = _current.set(locale if locale in LOCALES else DEFAULT)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def translate(message: str) -> str:
    """A message chosen in Python, in the page's language, as text (the template escapes it).

    An N_-marked label is looked up as it is. A refusal (`laotie.kit.errors.Message`) is looked up by its
    message id, and its %(name)s placeholders are filled from the error's details, in either language.
    """
    if isinstance(message, Message):
        return fill(gettext(message.msgid), message.values)
    return gettext(message)


@cache
def _babel_locale(locale: str) -> Locale:
    return Locale.parse(locale)


def yuan(fen: int | None) -> str:
    """Fen as yuan with the locale's grouping: 1234567 -> '12,345.67' (no currency sign)."""
    if fen is None:
        return ""
    return numbers.format_decimal(Decimal(fen) / 100, format="#,##0.00", locale=_babel_locale(_current.get()))


def number(value: float | int | None, digits: int = 0) -> str:
    """A number with the locale's grouping and `digits` decimals."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return numbers.format_decimal(value, format=pattern, locale=_babel_locale(_current.get()))


def when(value: datetime | date | None, form: str = "short") -> str:
    """A date or time as people of the locale write it; `form` is "date", "short" or "long"."""
    if value is None:
        return ""
    locale = _babel_locale(_current.get())
    if not isinstance(value, datetime):
        return dates.format_date(value, "medium", locale=locale)
    if form == "date":
        return dates.format_date(value, "medium", locale=locale)
    day = dates.format_skeleton("MMMd" if form == "short" else "yMMMd", value, locale=locale)
    return f"{day} {dates.format_skeleton('Hm', value, locale=locale)}"
