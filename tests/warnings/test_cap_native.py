"""The compiled module (``yingji/warnings/cap/_native.c``) gives what the Python code gives.

CAP import has two quick ways for a schema-valid CAP 1.2 alert: the compiled module reads the libxml2 tree
(and makes the model when nothing is left to check), or the same values are read in Python
(:func:`yingji.warnings.cap.fast.values`) when the module is not built. Every test here runs an alert both
ways, with the module and with Python alone, and asks for the same model, the same warnings and the same
refusals, over the whole shared corpus and over hand-made variants of what real alerts carry.
"""

from __future__ import annotations

import random
import re
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from lxml import etree

from yingji.warnings.cap import CapError, fast, parse, parse_element, schema
from yingji.warnings.cap import reader as reader_module
from yingji.warnings.cap.model import Alert, Points

from .test_cap import CAP_HEAD, QUICK_CASES, ROWS, SAMPLES, _alert_elements, _alert_xml

native = reader_module.native
NOT_BUILT = "yingji.warnings.cap._native is not built: run `make install` on a machine with gcc"


def test_the_compiled_module_is_built() -> None:
    """``make install`` compiles it (pip builds ``setup.py``'s extension; a C compiler is needed)."""
    assert native is not None, NOT_BUILT


@pytest.fixture
def compiled() -> Any:
    """The compiled module; where it is not built, every test that uses it fails (it is not skipped)."""
    if native is None:
        pytest.fail(NOT_BUILT)
    return native


class _Ways:
    """Runs a function once with the compiled module and once with Python alone."""

    @staticmethod
    def both(fn: Callable[[], object]) -> tuple[object, object]:
        got = _outcome(fn)
        with fast.python_alone():
            return got, _outcome(fn)


@pytest.fixture
def ways(compiled: Any) -> _Ways:
    return _Ways()


def _outcome(fn: Callable[[], object]) -> object:
    """What an import gives, comparable: the model with its warnings, or the problems it was refused for."""
    try:
        got = fn()
    except CapError as exc:
        return ("refused", [str(p) for p in exc.problems])
    if got is None:
        return None
    if isinstance(got, tuple):  # read_valid: (alert, reader)
        alert, reader = got
        return ("read", alert, [str(w) for w in reader.warnings], reader.signatures)
    return ("parsed", got.alert, [str(w) for w in got.warnings], got.signatures_dropped, got.version)


# -- the corpus -----------------------------------------------------------------------------------


@pytest.mark.parametrize("row", [pytest.param(r, id=r["file"]) for r in ROWS] or [None])
def test_corpus_alerts_import_alike_both_ways(row: dict[str, str] | None, ways: _Ways) -> None:
    if row is None:
        pytest.fail("CAP corpus not found")
    data = (SAMPLES / row["file"]).read_bytes()
    compiled, python = ways.both(lambda: parse(data))
    assert compiled == python
    for el in _alert_elements(data):
        compiled, python = ways.both(lambda el=el: parse_element(el))
        assert compiled == python


def test_corpus_alerts_are_made_in_c_when_nothing_is_left_to_check(compiled: Any) -> None:
    """Most real alerts come out of the compiled module as a whole Alert; the rest are finished in Python."""
    made = kept = 0
    for row in ROWS:
        if row["expected_xsd12"] != "valid":
            continue
        (el,) = _alert_elements((SAMPLES / row["file"]).read_bytes())
        fields, _ = compiled.values(el)
        made += isinstance(fields, Alert)
        kept += isinstance(fields, dict)
    assert made >= 24 and made + kept == 26


# -- hand-made variants -----------------------------------------------------------------------------

_AREA = "<area><areaDesc>a</areaDesc>{}</area>"
_SQUARE = "1,2 3,4 5,6 1,2"
INFO_VARIANTS = [body for body, _ in QUICK_CASES] + [
    "<headline>暴雨<!-- c -->橙色<![CDATA[预警 & <更新>]]></headline><description><![CDATA[a&b]]></description>",
    "<language> zh-CN </language><web> http://x.cn/a?b=1&amp;c=2 </web><contact>\u3000张三\u3000</contact>",
    "<language>mn</language><headline>\u00a0ᠮᠣᠩᠭᠣᠯ\u00a0</headline><audience>  </audience>",
    "<effective> 2026-07-01T08:00:00+08:00 </effective><onset>2026-07-01T09:00:00-00:00</onset>",
    "<effective>2024-02-29T23:59:59+14:00</effective><expires>2024-03-01T00:00:00+05:45</expires>",
    "<onset>2026-07-01T10:00:00+08:00</onset><expires>2026-07-01T09:59:59+08:00</expires>",
    "<effective>2023-02-29T10:00:00+08:00</effective>",
    "<parameter><valueName>颜色</valueName><value></value></parameter><parameter><valueName/><value>x</value></parameter>",
    "<eventCode><valueName>a</valueName><value> b </value></eventCode>",
    "<resource><resourceDesc>d</resourceDesc><mimeType>a/b</mimeType><size> +12 </size></resource>",
    "<resource><resourceDesc>d</resourceDesc><mimeType>a/b</mimeType><size>123456789012345678901</size></resource>",
    "<resource><resourceDesc>d</resourceDesc><mimeType>a/b</mimeType><uri> http://x/y </uri><digest>ab</digest>"
    "</resource><resource><resourceDesc>e</resourceDesc><mimeType>text/plain</mimeType></resource>",
    _AREA.format(f"<polygon>{_SQUARE}</polygon><polygon> {_SQUARE}\n</polygon><circle>1,2 3</circle>"),
    _AREA.format(f"<polygon>{_SQUARE}<!-- c --></polygon>"),
    _AREA.format(f"<polygon><![CDATA[{_SQUARE}]]></polygon>"),
    _AREA.format("<polygon>1,2 3,4 5,6 1.0,2.00</polygon>"),
    _AREA.format("<polygon>0.9007199254740993,2 3,4 5,6 0.9007199254740993,2</polygon>"),
    _AREA.format("<polygon>90,180 -90,-180 0.00000000000000000000001,0 90,180</polygon>"),
    _AREA.format("<polygon>90.000000000000000001,2 3,4 5,6 90.000000000000000001,2</polygon>"),
    _AREA.format("<polygon>1,2 3,4 5,6 1,2 </polygon><polygon>1,2\u00a03,4 5,6 1,2</polygon>"),
    _AREA.format("<circle> 44.5,82.9 10 </circle><circle>44.5,82.9  10</circle><circle>44.5,82.9 -0</circle>"),
    _AREA.format("<circle>44.5,82.9 1e1</circle><circle>+44.5,.5 5.</circle><circle>90,180 0</circle>"),
    _AREA.format("<circle>91,82.9 1</circle>"),
    _AREA.format("<circle>44.5,82.9,1 1</circle>"),
    _AREA.format("<geocode><valueName>GB/T 2260</valueName><value>652722</value></geocode><altitude>1</altitude>"),
    _AREA.format("<polygon>1,2 3,4 5,6 1,2</polygon><altitude>5</altitude><ceiling>7</ceiling>")
    + _AREA.format("<geocode><valueName>x</valueName><!-- c --><value>y</value></geocode>"),
]


@pytest.mark.parametrize("body", INFO_VARIANTS)
def test_info_variants_import_alike_both_ways(body: str, ways: _Ways) -> None:
    data = _alert_xml(body)
    compiled, python = ways.both(lambda: parse(data))
    assert compiled == python
    _read_alike(data, ways)


def _read_alike(data: bytes, ways: _Ways) -> None:
    """The quick reader itself, on each alert the schema takes, gives the same both ways, or (for CAP's number
    forms beyond JSON's, which only the compiled scanner reads) leaves it to the careful reader in Python."""
    for el in _alert_elements(data):
        if schema("1.2").validate(el):
            compiled, python = ways.both(lambda el=el: fast.read_valid(el))
            assert compiled == python or (python is None and compiled is not None)


REF = "a@b,X-1,2026-07-01T07:00:00+08:00"
REF2 = "b@c,Y-2,2026-07-01T06:00:00-00:00"
HEADER_VARIANTS = [  # replacements in the alert's header
    [],
    [("Alert", "Update"), ("Public</scope>", f"Public</scope><references>{REF}</references>")],
    [
        ("Alert", "Update"),
        ("Public</scope>", f"Public</scope><references> {REF}\n  b@c,Y-2,2026-07-01T06:00:00-00:00 </references>"),
    ],
    [("Alert", "Cancel"), ("Public</scope>", "Public</scope><references>a@b,X-1,2026-07-01T07:00:00Z</references>")],
    [("Public</scope>", "Public</scope><references>a@b,X-1,2026-07-01T07:00:00.5+08:00</references>")],
    [("Public</scope>", "Public</scope><references>a@b,X-1,2026-02-30T07:00:00+08:00</references>")],
    [("Public</scope>", "Public</scope><references>a@b,,2026-07-01T07:00:00+08:00</references>")],
    [("Public</scope>", "Public</scope><references>a@b,X-1,2026-07-01T07:00:00+08:00,x</references>")],
    [("Public</scope>", "Public</scope><references>发送者,X-1,2026-07-01T07:00:00+08:00</references>")],
    [("Public</scope>", "Public</scope><references> </references>")],
    [("Alert", "Update")],
    [("Public", "Restricted")],
    [("Public</scope>", "Restricted</scope><restriction>internal</restriction>")],
    [("Public", "Private")],
    [("Public</scope>", "Private</scope><addresses>a b</addresses>")],
    [("<identifier>T-1", "<identifier>预警-1")],
    [("<identifier>T-1", "<identifier>T&amp;1")],
    [("<sender>test@example.org", "<sender> test@example.org")],
    [("<sent>2026-07-01T08:00:00+08:00", "<sent>\n 2026-07-01T08:00:00+08:00 ")],
    [("<sent>2026-07-01T08:00:00+08:00", "<sent>2026-07-01T24:00:00+08:00")],
    [("<status>Test", "<status><!-- c -->Test")],
    [("</scope>", "</scope><code>a</code><code> b </code><note>n</note><incidents>i</incidents>")],
    [("</scope>", '</scope><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/></Signature>')],
]


@pytest.mark.parametrize("changes", HEADER_VARIANTS)
def test_header_variants_import_alike_both_ways(changes: list[tuple[str, str]], ways: _Ways) -> None:
    doc = _alert_xml(f"<area><areaDesc>a</areaDesc><polygon>{_SQUARE}</polygon></area>").decode()
    for old, new in changes:
        assert old in doc
        doc = doc.replace(old, new, 1)
    data = doc.encode()
    compiled, python = ways.both(lambda: parse(data))
    assert compiled == python
    _read_alike(data, ways)


def test_alert_inside_a_feed_alike_both_ways(ways: _Ways) -> None:
    """Paths of warnings start at the feed, as the careful reader's do."""
    alert = CAP_HEAD.replace('<?xml version="1.0" encoding="UTF-8"?>\n', "").replace("Alert<", "Update<")
    body = "<info><category>Met</category><event>R</event><urgency>Past</urgency><severity>Minor</severity>"
    body += "<certainty>Likely</certainty><area><areaDesc>a</areaDesc><polygon> </polygon></area></info>"
    feed = f'<feed xmlns="http://www.w3.org/2005/Atom"><entry><content>{alert}{body}</alert></content></entry></feed>'
    (el,) = _alert_elements(feed.encode())
    compiled, python = ways.both(lambda: parse_element(el))
    assert compiled == python
    assert compiled[0] == "parsed" and compiled[2] == [
        "/feed/entry[1]/content/alert/info[1]/area[1]/polygon[1]: empty <polygon> ignored",
        "/feed/entry[1]/content/alert: an Update message should carry <references> to the message(s) it replaces",
    ]


# -- the scanners one by one ------------------------------------------------------------------------


_N = r"[+-]?(?:\d+\.?\d*|\.\d+)"
_PLAIN_CIRCLE = re.compile(rf"[ \t\n\r]*{_N},{_N} \+?(?:\d+\.?\d*|\.\d+)[ \t\n\r]*", re.ASCII)


def test_circle_reads_as_the_python_reader_does(compiled: Any) -> None:
    """What the compiled scanner reads is the same three floats; what it declines is outside its plain form
    or refused by Python too (Python then reads or refuses it by itself)."""
    rng = random.Random(2026)
    forms = ["{a},{b} {r}", " {a},{b} {r}\n", "{a},{b}  {r}", "{a}, {b} {r}", "{a},{b} -{r}", "{a},{b},{r}"]
    numbers = ["0", "-0", "+1.5", ".5", "5.", "89.99999999999999999", "90", "90.0000001", "180", "-180.5", "1e1",
               "0.30000000000000004", "12345678901234567890", "44.6", "-82.123456789"]  # fmt: skip
    taken = 0
    for _ in range(3000):
        text = rng.choice(forms).format(a=rng.choice(numbers), b=rng.choice(numbers), r=rng.choice(numbers))
        read = compiled.circle(text)
        try:
            expected = fast._circle(text)
        except fast._GiveUp:
            expected = None
        if read is not None:
            taken += 1
            assert expected is not None and [x.hex() for x in read] == [x.hex() for x in expected], text
        elif expected is not None:
            assert not _PLAIN_CIRCLE.fullmatch(text), text
    assert taken > 300


def test_polygon_numbers_at_the_edges_of_the_exact_division(compiled: Any) -> None:
    """Clinger's fast path (a mantissa up to 2^53, up to 22 decimals) and Python's reader beyond it agree."""
    cases = ["0.9007199254740992", "0.9007199254740993", "9.007199254740991", "0.0000000000000000000001",
             "0.00000000000000000000001", "1.0000000000000000000000001", "12.345678901234567890123",
             "-0.0", "89.999999999999999999999", "-179.99999999999999999"]  # fmt: skip
    for number in cases:
        text = f"1,{number} 3,4 5,6 1,{number}"
        packed = compiled.polygon(text)
        assert packed is not None, number
        assert list(Points(packed)) == [(1.0, float(number)), (3.0, 4.0), (5.0, 6.0), (1.0, float(number))]
        assert memoryview(packed).cast("d")[1].hex() == float(number).hex()


@pytest.mark.parametrize(
    "text",
    ["", "   ", "1,2 3", "1,2,3 4,5", "1 ,2", "1e2,3 4,5", "nan,1", "1,2\u00a03,4", "1,2\x0b3,4", "-,1",
     "+,1", ".,1", "1..2,3", "91,0", "0,181", "0,-180.0000000000001"],
)  # fmt: skip
def test_polygon_scanner_declines_what_it_does_not_take(text: str, compiled: Any) -> None:
    assert compiled.polygon(text) is None


def test_wrong_arguments_are_type_errors_and_other_elements_are_declined(compiled: Any) -> None:
    with pytest.raises(TypeError):
        compiled.polygon(b"1,2 3,4 5,6 1,2")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        compiled.circle(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        compiled.values("<alert/>")
    assert compiled.values(etree.fromstring("<alert/>")) is None
    assert compiled.values(etree.fromstring('<alert xmlns="urn:oasis:names:tc:emergency:cap:1.1"/>')) is None
    assert compiled.values(etree.Comment("x")) is None
    foreign = _alert_xml("").replace(b"<scope>Public</scope>", b'<scope>Public</scope><x xmlns="urn:x"/>')
    assert compiled.values(etree.fromstring(foreign)) is None


def test_repeated_imports_keep_no_memory(compiled: Any) -> None:
    """Every object the module makes is released (a lost reference would grow with each call)."""
    files = [(SAMPLES / r["file"]).read_bytes() for r in ROWS if r["expected_xsd12"] == "valid"]
    variants = [_alert_xml(body) for body in INFO_VARIANTS]

    def run(times: int) -> None:
        for _ in range(times):
            for data in files + variants:
                try:
                    parse(data)
                except CapError:
                    pass
            compiled.polygon("1,2 3,4 5,6 1,2")
            compiled.polygon("1,2 3,4 x")

    run(3)
    tracemalloc.start()
    try:
        run(5)
        before = tracemalloc.get_traced_memory()[0]
        run(40)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after - before < 256 * 1024, f"{after - before} bytes kept by 40 more passes"


# -- seeded mutations of real alerts --------------------------------------------------------------

_CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
_TEXT_MUTATIONS: list[Callable[[random.Random, str], str]] = [
    lambda rng, t: " " + t + "\n",
    lambda rng, t: "\u3000" + t,
    lambda rng, t: t + "\u00a0",
    lambda rng, t: t[: len(t) // 2],
    lambda rng, t: t.replace(".", "", 1),
    lambda rng, t: t.replace(",", ", ", 1),
    lambda rng, t: t.replace(" ", "  ", 1),
    lambda rng, t: t.replace("-", "+", 1),
    lambda rng, t: t.replace("0", "9", 1),
    lambda rng, t: t.replace("T", " ", 1),
    lambda rng, t: t.replace("+", "-", 1),
    lambda rng, t: t[::-1],
    lambda rng, t: "",
    lambda rng, t: t + str(rng.randrange(10**25)),
    lambda rng, t: t + "e5",
]


def _mutants(rng: random.Random, data: bytes, count: int) -> Iterator[bytes]:
    """Copies of an alert with one leaf's text changed, a comment or CDATA put in it, or an element dropped."""
    for _ in range(count):
        root = etree.fromstring(data)
        leaves = [el for el in root.iter() if isinstance(el.tag, str) and len(el) == 0 and el.tag.startswith(_CAP)]
        if not leaves:
            return
        el = rng.choice(leaves)
        what = rng.randrange(4)
        if what == 0:
            el.text = rng.choice(_TEXT_MUTATIONS)(rng, el.text or "")
        elif what == 1:
            el.append(etree.Comment("c"))
            el[-1].tail = rng.choice(["", " ", "1"])
        elif what == 2:
            el.text = etree.CDATA(el.text or "x")
        else:
            parent = el.getparent()
            if parent is not None:
                parent.remove(el)
        yield etree.tostring(root)


def test_mutated_corpus_alerts_import_alike_both_ways(ways: _Ways) -> None:
    rng = random.Random(20261130)
    files = [(SAMPLES / r["file"]).read_bytes() for r in ROWS if r["expected_xsd12"] == "valid"]
    files = [f for f in files if len(f) < 500_000]  # the large polygon's copies are slow to serialise
    tried = refused = 0
    for data in files:
        for mutant in _mutants(rng, data, 12):
            compiled, python = ways.both(lambda mutant=mutant: parse(mutant))
            assert compiled == python, mutant[:400]
            tried += 1
            refused += isinstance(compiled, tuple) and compiled[0] == "refused"
    assert tried >= 250 and 0 < refused < tried
