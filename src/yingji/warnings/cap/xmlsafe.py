"""Turning outside bytes into an lxml tree without trusting them.

Order of refusals: size (before anything is parsed), encoding, DOCTYPE, well-formedness.

* Size: ``max_bytes`` (default 5 MB) is compared with ``len(data)`` before any parsing.
* DOCTYPE: refused outright. CAP, Atom, RSS and EDXL-DE need no DTD, and a DOCTYPE is how
  entity expansion (billion laughs) and external entities (XXE) get in. The prolog is scanned
  before parsing; a document not in UTF-8, whose bytes that scan may not read (UTF-16), is checked
  again once parsed.
* Encoding: the declared encoding is honoured (lxml decodes). A document that declares UTF-8 (or
  declares nothing, which means UTF-8) but is not valid UTF-8 is *refused*, naming the first bad
  byte: guessing the real encoding (Latin-1? cp1252?) could silently garble an alert's text, and
  the sender can fix the declaration. libxml2 refuses every malformed UTF-8 sequence itself
  (``tests/warnings/test_cap_fast.py`` checks sequences and places), so a document is decoded once,
  by the parser: Python's strict decoder runs only when the parser refuses the document or a
  DOCTYPE is found, and when it fails too, its first bad byte is the reason given.
* The parser itself: ``resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False``.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from lxml import etree

from .model import CapError, Problem

DEFAULT_MAX_BYTES = 5 * 1024 * 1024

_DECL = re.compile(rb"""\A(?:\xef\xbb\xbf)?<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_PROLOG_ITEM = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)
_UTF8_NAMES = {"utf-8", "utf8"}


def make_parser() -> Any:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
    )


_local = threading.local()


def _parser() -> Any:
    """This thread's parser (lxml parsers must not be shared between threads; making one per call costs more)."""
    try:
        return _local.parser
    except AttributeError:
        _local.parser = make_parser()
        return _local.parser


def declared_encoding(data: bytes) -> str | None:
    m = _DECL.match(data[:512])
    return m.group(1).decode("ascii").lower() if m else None


def _is_utf8_document(data: bytes) -> bool:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    enc = declared_encoding(data)
    return enc is None or enc in _UTF8_NAMES


def _check_utf8(data: bytes) -> None:
    if data.isascii():  # plain ASCII is UTF-8; no need to decode it all
        return
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        bad = data[exc.start : exc.start + 1].hex()
        raise CapError(
            [
                Problem(
                    "/",
                    f"the document declares UTF-8 but is not UTF-8: byte 0x{bad} at line {line}, column {col} "
                    "(fix the encoding declaration; yingji does not guess encodings)",
                )
            ]
        ) from None


def _has_doctype(data: bytes) -> bool:
    pos = 0
    if data.startswith(b"\xef\xbb\xbf"):
        pos = 3
    while True:
        m = _PROLOG_ITEM.match(data, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
    return data.startswith(b"<!DOCTYPE", pos)


_DOCTYPE_REASON = (
    "the document carries a DOCTYPE (DTD / entity declarations); refused because DTDs and entities "
    "(XXE, entity expansion) are not accepted in CAP input"
)


def load(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Parse ``data`` safely and return the root element, or raise :class:`CapError`."""
    if len(data) > max_bytes:
        raise CapError([Problem("/", f"the document is {len(data)} bytes, over the limit of {max_bytes} bytes")])
    if not data or data.isspace():
        raise CapError([Problem("/", "the document is empty")])
    utf8 = _is_utf8_document(data)
    if _has_doctype(data):
        if utf8:
            _check_utf8(data)
        raise CapError([Problem("/", _DOCTYPE_REASON)])
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        if utf8:
            _check_utf8(data)
        raise CapError([Problem("/", f"not well-formed XML: {exc.msg}")]) from None
    if not utf8:  # the prolog was scanned as bytes: in UTF-16 (or any encoding not ASCII's superset) look again
        docinfo = root.getroottree().docinfo
        if docinfo.internalDTD is not None or docinfo.doctype:
            raise CapError([Problem("/", _DOCTYPE_REASON)])
    return root
