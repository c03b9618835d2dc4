"""Chinese and English: every template string is in both catalogs; the locale is chosen as promised."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from laotie.kit.i18n_extract import refusal_classes, refusal_messages
from laotie.web import i18n

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def _extracted() -> set[str]:
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / "src" / "laotie", method_map, options_map, keywords=KEYWORDS):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.fixture(scope="module")
def extracted() -> set[str]:
    return _extracted()


def _catalog(locale: str):  # type: ignore[no-untyped-def]
    with (i18n.LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=locale)


def test_templates_translate_their_text(extracted: set[str]) -> None:
    # The nav and the status labels at least: a template that lost its markers would extract nothing.
    assert {"Discover", "Awaiting payment"} <= extracted


def test_refusals_are_extracted(extracted: set[str]) -> None:
    # Business refusals raised by services, with and without placeholders, and both branches of a choice.
    assert {"no such order", "you cannot buy from your own shop", "at most %(limit)s per buyer",
            "this sale is not open", "this sale has ended"} <= extracted


def test_refusal_extraction_finds_subclasses_aliases_and_choices() -> None:
    classes = refusal_classes()
    # Subclasses at any depth (OrderNotFound < NotFound < DomainError), and nothing that is not an error.
    assert {"DomainError", "NotFound", "OrderNotFound", "SoldOut", "BodyTooLarge"} <= classes
    assert not {"Order", "Settings", "Message"} & classes
    source = """
from laotie.kit.errors import NotFound as Missing
raise Missing("gone away")
raise errors.SoldOut("sold" if a else "none left", field="x")
raise Conflict(Message("at most %(n)s", {"n": 1}))
raise OwnShop(message="keyword message")
raise NotFound(f"no {thing}")
raise Order("not an error")
print("not a call to an error")
"""
    found = [message for _line, message in refusal_messages(source, classes)]
    assert sorted(found) == sorted(["gone away", "sold", "none left", "at most %(n)s", "keyword message"])


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_string_is_in_the_catalog(extracted: set[str], locale: str) -> None:
    catalog = _catalog(locale)
    ids = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog if m.id}
    missing = sorted(extracted - ids)
    assert not missing, f"{len(missing)} strings missing from {locale} (run bash scripts/i18n.sh): {missing[:20]}"


def test_chinese_translates_every_string(extracted: set[str]) -> None:
    untranslated = []
    for m in _catalog("zh_CN"):
        if not m.id:
            continue
        key = m.id[0] if isinstance(m.id, tuple) else m.id
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if key in extracted and (m.fuzzy or not all(strings)):
            untranslated.append(key)
    assert not untranslated, f"{len(untranslated)} strings without a zh_CN translation: {untranslated[:20]}"


def test_placeholders_survive_translation() -> None:
    # A translation that drops or renames %(name)s would fail at render time for that locale only.
    import re

    bad = []
    for m in _catalog("zh_CN"):
        if not m.id or not m.string:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        want = set(re.findall(r"%\((\w+)\)s", ids[-1]))
        for s in strings:
            if s and set(re.findall(r"%\((\w+)\)s", s)) != want:
                bad.append(ids[0])
    assert not bad, bad[:20]


@pytest.mark.parametrize(("cookie", "header", "want"), [
    (None, None, "zh_CN"),
    (None, "en-US,en;q=0.9", "en"),
    (None, "fr-FR, en;q=0.5, zh-CN;q=0.8", "zh_CN"),
    (None, "zh-Hant-TW", "zh_CN"),
    ("en", "zh-CN", "en"),
    ("klingon", "en", "en"),
    (None, "en;q=abc, de", "zh_CN"),
    (None, "x" * 2000, "zh_CN"),
])
def test_locale_negotiation(cookie: str | None, header: str | None, want: str) -> None:
    assert i18n.negotiate(cookie, header) == want


def test_formatting_follows_the_locale() -> None:
    moment = datetime(2026, 3, 7, 14, 5)
    with i18n.using("en"):
        assert i18n.yuan(1234567) == "12,345.67"
        assert "Mar" in i18n.when(moment)
    with i18n.using("zh_CN"):
        assert i18n.yuan(-5) == "-0.05"
        assert "3月7日" in i18n.when(moment)
        assert i18n.number(12345) == "12,345"


async def test_language_switch_is_remembered(api) -> None:  # type: ignore[no-untyped-def]
    client = api.client
    page = await client.get("/login", headers={"accept-language": "en"})
    assert page.headers["content-language"] == "en"
    assert 'lang="en"' in page.text
    switched = await client.get("/lang/zh-CN?next=/login", follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/login"
    assert "laotie_lang=zh_CN" in switched.headers["set-cookie"]
    client.cookies.set("laotie_lang", "zh_CN")
    page = await client.get("/login", headers={"accept-language": "en"})
    assert page.headers["content-language"] == "zh-CN"
    assert 'lang="zh-CN"' in page.text
    assert "登录" in page.text
    away = await client.get("/lang/en?next=//evil.example", follow_redirects=False)
    assert away.headers["location"] == "/"
