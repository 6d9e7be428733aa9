"""The zh_CN catalog is complete: every message the code and templates can show has a Chinese text.

The messages are extracted afresh from the working tree with ``scripts/i18n.sh --pot`` (the same
babel.cfg and keywords the maintainers use), so adding ``_("...")`` (or ``N_``, or a
``UserError("...")``) without translating it makes this fail. Fix: run ``scripts/i18n.sh`` and fill
in the empty msgstrs of ``src/yingji/translations/zh_CN/LC_MESSAGES/messages.po``.
No database is needed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from yingji import i18n

ROOT = Path(__file__).resolve().parents[2]
ZH_PO = ROOT / "src" / "yingji" / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _ids(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, list | tuple) else (message.id,)


def _strings(message: Message) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, list | tuple) else (message.string,)


def _placeholders(texts: tuple[str, ...]) -> set[str]:
    return {name for text in texts for name in PLACEHOLDER.findall(text)}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """Every message id in the working tree, extracted just now into a temporary .pot."""
    bash = shutil.which("bash")
    pybabel = Path(sys.executable).parent / "pybabel"
    if bash is None or not pybabel.exists():
        pytest.fail(f"extraction needs bash and {pybabel}")
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    env = {**os.environ, "PYTHON": sys.executable}
    done = subprocess.run([bash, str(ROOT / "scripts" / "i18n.sh"), "--pot", str(pot)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with pot.open("rb") as handle:
        catalog = read_po(handle)
    assert len([m for m in catalog if m.id]) > 100, "extraction found suspiciously few messages"
    return catalog


@pytest.fixture(scope="module")
def zh_catalog() -> Catalog:
    with ZH_PO.open("rb") as handle:
        return read_po(handle, locale="zh_CN")


@pytest.fixture()
def restore_language() -> Iterator[None]:
    previous = i18n.current_language()
    yield
    i18n.set_language(previous)


def test_extraction_covers_python_templates_and_errors(extracted: Catalog) -> None:
    ids = {m.id for m in extracted if m.id}
    assert "Sign in" in ids                                # template, _()
    assert "Risks and hazards" in ids                      # Python, N_()
    assert "Imported %(n)s rows." in ids                   # Python, gettext()
    assert "%(n)s units below their staffing quota" in ids  # template, newstyle _() with a keyword
    assert "Wrong user name or password." in ids           # a UserError subclass


def test_every_extracted_message_is_translated(extracted: Catalog, zh_catalog: Catalog) -> None:
    missing = []
    for message in extracted:
        if not message.id:
            continue
        found = zh_catalog.get(message.id, message.context)
        if found is None or not all(_strings(found)) or found.fuzzy:
            missing.append(_ids(message)[0])
    assert not missing, (f"{len(missing)} message(s) have no Chinese in {ZH_PO.relative_to(ROOT)}; "
                         "run scripts/i18n.sh and translate them:\n  " + "\n  ".join(missing))


def test_translations_are_chinese(zh_catalog: Catalog) -> None:
    latin_only = [m.id for m in zh_catalog if m.id and all(_strings(m)) and not CJK.search(" ".join(_strings(m)))]
    assert not latin_only, f"msgstrs without any Chinese: {latin_only}"


def test_no_entry_is_fuzzy(zh_catalog: Catalog) -> None:
    fuzzy = [_ids(m)[0] for m in zh_catalog if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy (guessed) entries must be checked and un-flagged: {fuzzy}"


def test_placeholders_match(zh_catalog: Catalog) -> None:
    wrong = []
    for message in zh_catalog:
        if not message.id or not all(_strings(message)):
            continue
        wanted = _placeholders(_ids(message))
        for text in _strings(message):
            if _placeholders((text,)) != wanted:
                wrong.append(f"{_ids(message)[0]!r} -> {text!r}")
                continue
            if wanted:
                try:
                    text % {name: "1" for name in wanted}
                except (KeyError, TypeError, ValueError) as exc:
                    wrong.append(f"{text!r} cannot be formatted: {exc}")
    assert not wrong, "placeholders differ between msgid and msgstr:\n  " + "\n  ".join(wrong)


def test_set_language_switches_gettext(restore_language: None) -> None:
    assert i18n.set_language("zh_CN") == "zh_CN"
    assert i18n.gettext("Sign in") == "登录"
    assert i18n.gettext("Risks and hazards") == "风险隐患"
    assert i18n.gettext("Imported %(n)s rows.") % {"n": 3} == "已导入3行。"
    assert i18n.set_language("en") == "en"
    assert i18n.gettext("Sign in") == "Sign in"
    assert i18n.gettext("Imported %(n)s rows.") % {"n": 3} == "Imported 3 rows."
    assert i18n.set_language("fr") == "zh_CN"
    assert i18n.gettext("Sign in") == "登录"
