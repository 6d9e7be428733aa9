"""The quick ways through CAP import give what the careful ways give: polygons, circles, UTF-8 refusals."""

from __future__ import annotations

import random
import threading
from typing import Any

import pytest
from lxml import etree

from yingji.warnings.cap import CapError, parse, to_xml, xmlsafe
from yingji.warnings.cap import reader as reader_module
from yingji.warnings.cap.fast import read_valid
from yingji.warnings.cap.model import Area, Points
from yingji.warnings.cap.reader import Reader, fast_numbers
from yingji.warnings.cap.xmlsafe import load, make_parser

from .test_cap import SAMPLES, _alert_elements, _alert_xml, _both_ways

# -- polygons: the C-speed numbers and the point-by-point reading agree -----------------------------

# CAP number forms beyond JSON's: the compiled scanner takes them; the Python one leaves them to the slow path
CAP_ONLY = "CAP number forms beyond JSON's"
POLYGONS = [  # (text of <polygon>, taken by fast_numbers?)
    ("1,2 3,4 5,6 1,2", True),
    ("44.6,82.8 44.7,83.0 44.5,83.1 44.6,82.8", True),
    ("-0,2 3.25,4 5,-6.5 -0,2", True),
    ("  1,2 3,4 5,6 1,2  ", True),  # leading and trailing blanks
    ("1,2\t3,4\n5,6  1,2", True),  # tabs, newlines, double spaces between pairs
    ("90,180 -90,-180 0,0 90,180", True),  # the corners of the range
    ("+1.5,.5 3,4 5,6 +1.5,.5", CAP_ONLY),
    ("1.,2 3,4 5,6 1.,2", CAP_ONLY),
    ("01,2 3,4 5,6 01,2", CAP_ONLY),
    ("1e3,2 3,4 5,6 1e3,2", False),  # out of range once read
    ("1e1,2 3,4 5,6 10,2", False),
    ("1,2 3,4 5,NaN 1,2", False),
    ("1,2 3,4 5,nan 1,2", False),
    ("1,2 3,4 inf,6 1,2", False),
    ("1,2 3,4 5,-Infinity 1,2", False),
    ("1,2 3,4 5,6_0 1,2", False),
    ("1,2,3 4 5,6 1,2,3", False),
    ("1,2 3,4 5, 6 1,2", False),
    (",2 3,4 5,6 ,2", False),
    ("1,2 3,4 5,6 1,", False),
    ("1,2 3,4 5,6 1,2,", False),
    ("1,2 3,,4 5,6 1,2", False),
    ("1,2 3..4,4 5,6 1,2", False),
    ("1,2 3.4.5,4 5,6 1,2", False),
    ("1,2 3,4 5,6 1,2 7", False),
    ("1,2 --3,4 5,6 1,2", False),
    ("1,2 3-4,4 5,6 1,2", False),
    ("1,2 -,4 5,6 1,2", False),
    ("90.0000001,2 3,4 5,6 90.0000001,2", False),
    ("-90.0000001,2 3,4 5,6 -90.0000001,2", False),
    ("1,180.0000001 3,4 5,6 1,180.0000001", False),
    ("1,-181 3,4 5,6 1,-181", False),
    ("91,2 3,4 5,6 91,2", False),
    ("1,2 3,4 5,6 1,3", True),  # well-formed numbers, open ring: refused by the caller
    ("1,2 3,4 1,2", True),  # three points
    ("1,2", True),
    ("1,2 1,2 1,2 1,2", True),
    ("١,٢ 3,4 5,6 ١,٢", False),  # digits other than ASCII
    ("1;2 3;4 5;6 1;2", False),
    ("1 2 3 4 5 6 1 2", False),
    ("1.5,2.5 3.5,4.5 5.5,6.5 1.5,2.5", True),  # every number with its point: orjson reads them
    ("-0.0,-2.25 3.0,4.125 5.0,-6.5 -0.0,-2.25", True),
    ("1.5,2.5 3.5,4 5.5,6.5 1.5,2.5", True),  # one without a point: the standard scanner reads them all
    ("1.5,2.5 3.5,4..5 5.5,6.5 1.5,2.5", False),
    ("1.5,2.5 3.5,.5 5.5,6.5 1.5,2.5", CAP_ONLY),
    ("1.5,2.5 3.5,4. 5.5,6.5 1.5,2.5", CAP_ONLY),
    ("1.5,2.5 3.5,04.5 5.5,6.5 1.5,2.5", CAP_ONLY),
    ("1.5,2.5 3.5,4.5 5.5,6.5 1.5,2.5 7.5", False),
    ("1.5,2.5 3.5,4.5,5.5 6.5,1.5 2.5", False),
    ("90.0,180.0 -90.0,-180.0 0.0,0.0 90.0,180.0", True),
    ("90.00000000000001,2.0 3.0,4.0 5.0,6.0 90.00000000000001,2.0", False),
    ("1.0,-180.00000000000003 3.0,4.0 5.0,6.0 1.0,-180.00000000000003", False),
]


@pytest.fixture(params=["compiled", "python"])
def scanner(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Each polygon test runs with the compiled scanner and with the Python one alone; True for the compiled."""
    if request.param == "python":
        monkeypatch.setattr(reader_module, "native", None)
        return False
    if reader_module.native is None:
        pytest.fail("the compiled module is not built: run `make install` on a machine with gcc")
    return True


def _taken(fast: bool | str, compiled: bool) -> bool:
    return compiled if fast == CAP_ONLY else bool(fast)


def test_polygon_numbers_are_the_floats_float_reads(scanner: bool) -> None:
    """Both JSON readers give, for every number, the double ``float()`` gives (seeded random decimals of up to
    20 significant digits, halfway cases and the range's edges among them)."""
    rng = random.Random(2026)
    edges = ["89.99999999999999999", "-90.000000000000001", "-89.999999999999999999", "0.30000000000000004",
             "44.60000000000000142", "82.5000000000000000001", "-0.0", "0.0000001"]  # fmt: skip
    for dotted in (True, False):
        for _ in range(200):
            numbers = []
            for _ in range(rng.randrange(4, 60) * 2):
                if rng.random() < 0.05:
                    numbers.append(rng.choice(edges))
                    continue
                digits = rng.randrange(1, 21)
                whole = str(rng.randrange(0, 90))
                fraction = "".join(rng.choice("0123456789") for _ in range(digits))
                sign = "-" if rng.random() < 0.3 else ""
                numbers.append(f"{sign}{whole}.{fraction}" if dotted or rng.random() < 0.7 else f"{sign}{whole}")
            numbers[-2:] = numbers[:2]
            content = " ".join(f"{a},{b}" for a, b in zip(numbers[0::2], numbers[1::2], strict=True))
            read = fast_numbers(content)
            assert read is not None, content
            assert [x.hex() for x in read] == [float(x).hex() for x in numbers], content


def _run_polygon(content: str) -> tuple[list[tuple[float, float]] | None, list[str], list[str], list[str]]:
    el = etree.fromstring(f'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><polygon>{content}</polygon></alert>')
    r = Reader("1.2")
    pts = r.polygon(el[0])
    shown = None if pts is None else list(pts)
    return shown, [str(p) for p in r.errors], [str(p) for p in r.rule_errors], [str(p) for p in r.warnings]


@pytest.mark.parametrize(("content", "fast"), POLYGONS)
def test_polygon_fast_and_slow_paths_agree(
    content: str, fast: bool | str, scanner: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (fast_numbers(content) is not None) == _taken(fast, scanner)
    quick = _run_polygon(content)
    monkeypatch.setattr(reader_module, "fast_numbers", lambda _content: None)
    slow = _run_polygon(content)
    assert quick == slow
    if quick[0] is not None and slow[0] is not None:  # the same floats, not merely equal-looking ones
        assert [tuple(map(float.hex, p)) for p in quick[0]] == [tuple(map(float.hex, p)) for p in slow[0]]


@pytest.mark.parametrize(("content", "fast"), POLYGONS)
def test_polygon_quick_and_careful_readers_agree(content: str, fast: bool | str) -> None:
    (el,) = _alert_elements(_alert_xml(f"<area><areaDesc>a</areaDesc><polygon>{content}</polygon></area>"))
    quick, careful = _both_ways(el)
    assert quick == careful
    refused = isinstance(careful, list)  # the problems, when refused
    assert (read_valid(el) is not None) == (_taken(fast, reader_module.native is not None) and not refused)


def test_polygon_refusals_name_the_polygon_and_the_reason() -> None:
    cases = {
        "1,2 3,4 5,6 1,3": "the polygon is not closed: the first and last points differ",
        "1,2 3,4 1,2": "a polygon needs at least 4 points (first = last), found 3",
        "90.0000001,2 3,4 5,6 90.0000001,2": "point '90.0000001,2' is outside -90..90 latitude / -180..180 longitude",
        "1,2 3,4 5,nan 1,2": "longitude 'nan' is not a number",
        "1,2,3 4 5,6 1,2,3": "point '1,2,3' is not of the form latitude,longitude",
    }
    for content, reason in cases.items():
        with pytest.raises(CapError) as info:
            parse(_alert_xml(f"<area><areaDesc>a</areaDesc><polygon>{content}</polygon></area>"))
        assert (info.value.path, info.value.reason) == ("/alert/info[1]/area[1]/polygon[1]", reason)


def test_empty_polygon_warned_on_both_paths() -> None:
    result = parse(_alert_xml("<area><areaDesc>a</areaDesc><polygon> \n </polygon></area>"))
    assert result.alert.infos[0].areas[0].polygons == []
    assert [str(w) for w in result.warnings] == ["/alert/info[1]/area[1]/polygon[1]: empty <polygon> ignored"]


def test_points_behave_as_a_list_of_pairs() -> None:
    numbers = [44.6, 82.8, 44.7, 83.0, 44.5, 83.1, 44.6, 82.8]
    pts = Points(numbers)
    as_list = [(44.6, 82.8), (44.7, 83.0), (44.5, 83.1), (44.6, 82.8)]
    assert len(pts) == 4 and pts[0] == (44.6, 82.8) and pts[-1] == (44.6, 82.8) and pts[1:3] == as_list[1:3]
    assert list(pts) == as_list and pts == as_list and as_list == pts and pts == tuple(as_list)
    assert pts == Points(list(numbers)) and pts != Points(numbers[2:] + numbers[2:4]) and pts != as_list[:3]
    assert (44.5, 83.1) in pts and pts.index((44.7, 83.0)) == 1 and repr(pts) == repr(as_list)
    with pytest.raises(ValueError):
        Points([1.0, 2.0, 3.0])
    with pytest.raises(TypeError):
        hash(pts)


def test_points_export_as_the_list_does() -> None:
    ring = "44.6,82.8 44.7,83 44.5,83.1 44.6,82.8"
    result = parse(_alert_xml(f"<area><areaDesc>a</areaDesc><polygon>{ring}</polygon></area>"))
    area = result.alert.infos[0].areas[0]
    assert isinstance(area.polygons[0], Points)
    exported = to_xml(result.alert)
    area.polygons = [list(area.polygons[0])]
    assert to_xml(result.alert) == exported
    assert f"<polygon>{ring}</polygon>".encode() in exported


def test_large_polygon_round_trips() -> None:
    data = (SAMPLES / "bf-meteo_huge-polygon_signed.xml").read_bytes()
    result = parse(data)
    (poly,) = result.alert.infos[0].areas[0].polygons
    assert isinstance(poly, Points) and len(poly) == 41009 and poly[0] == poly[-1]
    again = parse(to_xml(result.alert)).alert
    assert again == result.alert and again.infos[0].areas[0].polygons[0] == list(poly)
    assert Area(area_desc="x", polygons=[list(poly)]) == Area(area_desc="x", polygons=[poly])


# -- circles ------------------------------------------------------------------------------------------

CIRCLES = [  # (text of <circle>, read by the quick reader?)
    ("44.5,82.9 10", True),
    ("  44.5 , 82.9   10  ", True),
    ("-7.000000,-173.000000 925.000000", True),
    ("+1,.5 2.", True),
    ("1e1,2 3E-1", True),
    ("90,180 0", True),
    ("44.5,82.9 -0", True),
    ("", True),
    ("44.5,82.9 -1", False),
    ("91,0 1", False),
    ("0,-180.5 1", False),
    ("1e999,0 1", False),
    ("44.5,82.9", False),
    ("44.5 82.9 10", False),
    ("1,2,3 4", False),
    ("nan,1 1", False),
    ("1,inf 1", False),
    ("1,2 1_0", False),
    ("1,2 ten", False),
    ("44.5,82.9\n10", False),
]


@pytest.mark.parametrize(("content", "quick"), CIRCLES)
def test_circle_quick_and_careful_readers_agree(content: str, quick: bool) -> None:
    (el,) = _alert_elements(_alert_xml(f"<area><areaDesc>a</areaDesc><circle>{content}</circle></area>"))
    assert (read_valid(el) is not None) == quick
    fast_result, careful = _both_ways(el)
    assert fast_result == careful


# -- UTF-8: the parser refuses what Python's decoder refuses, and the refusal names the byte ---------

BAD_UTF8 = [
    b"\xff", b"\xfe", b"\x80", b"\xbf", b"\xc3", b"\xc0\x80", b"\xc1\xbf", b"\xe0\x80\xaf", b"\xe4\xb8",
    b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xf0\x9f\x98", b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80",
    b"\xf8\x88\x80\x80\x80",
]  # fmt: skip
PLACES = [  # X marks where the bad bytes go
    b'<?xml version="1.0" encoding="UTF-8"?><!--X--><a/>', b'<?xml version="1.0"?><?pi X?><a/>', b"<a><?pi X?></a>",
    b"<a><!--X--></a>", b"<a><![CDATA[X]]></a>", b'<a b="X"/>', b"<a b='X'/>", b"<a/><!--X-->", b"<a/><?p X?>",
    b"<a>X</a>", b"<aX/>", b'<a xmlns="urn:X"/>', b"<a>\xc3\xa9X\xe4\xb8\xad</a>", b"<a/>\nX", b"X<a/>",
    b"<a>" + "中".encode() * 5000 + b"X</a>", b"<a>" + b"x" * 70000 + b"X</a>",
]  # fmt: skip


def _where(data: bytes) -> str:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return f"byte 0x{data[exc.start : exc.start + 1].hex()} at line {line}, column {col}"
    raise AssertionError("valid UTF-8")


def _assert_refused_naming_the_byte(data: bytes) -> None:
    with pytest.raises(etree.XMLSyntaxError):  # what lets load() decode only once
        etree.fromstring(data, make_parser())
    with pytest.raises(CapError) as info:
        load(data)
    assert info.value.path == "/"
    assert info.value.reason == (
        f"the document declares UTF-8 but is not UTF-8: {_where(data)} "
        "(fix the encoding declaration; yingji does not guess encodings)"
    )


@pytest.mark.parametrize("place", PLACES)
def test_bad_utf8_refused_naming_the_byte_everywhere(place: bytes) -> None:
    for bad in BAD_UTF8:
        _assert_refused_naming_the_byte(place.replace(b"X", bad))


def test_bad_utf8_in_corpus_alerts_refused_naming_the_byte() -> None:
    rng = random.Random(4)
    names = ("cn-baoding_update_zh-CN-en.xml", "is-imo_is-en.cap", "dz-meteo_fr_polygon.xml")
    for doc in [(SAMPLES / name).read_bytes() for name in names]:
        for _ in range(150):
            at = rng.randrange(len(doc) + 1)
            _assert_refused_naming_the_byte(doc[:at] + rng.choice(BAD_UTF8) + doc[at:])


def test_bad_utf8_named_before_doctype_and_doctype_alone() -> None:
    doctype = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "x">]><a>\xff&e;</a>'
    with pytest.raises(CapError, match="declares UTF-8 but is not UTF-8: byte 0xff"):
        load(doctype)
    with pytest.raises(CapError, match="DOCTYPE"):
        load(doctype.replace(b"\xff", b"\xc3\xa9"))


def test_declared_latin1_is_not_checked_as_utf8() -> None:
    doc = '<?xml version="1.0" encoding="ISO-8859-1"?><a>Usulután</a>'.encode("latin-1")
    assert load(doc).text == "Usulután"
    with pytest.raises(CapError, match="not well-formed XML"):
        load(b"<a>\xc3\xa9</b>")  # good UTF-8, bad XML: the parser's own reason


@pytest.mark.parametrize("data", [b"", b"  \n\t", b"\x0b\x0c \r\n"])
def test_blank_documents_refused_as_empty(data: bytes) -> None:
    with pytest.raises(CapError, match="the document is empty"):
        load(data)


def test_parser_is_one_per_thread() -> None:
    seen: list[Any] = []
    thread = threading.Thread(target=lambda: seen.append(xmlsafe._parser()))
    thread.start()
    thread.join()
    assert xmlsafe._parser() is xmlsafe._parser() and seen[0] is not xmlsafe._parser()
