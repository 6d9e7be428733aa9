"""CAP 1.2 import/export over the shared corpus (../shared/corpus/cap) plus hand-written attacks and rules."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from yingji.warnings import cap
from yingji.warnings.cap import (
    BEIJING,
    Alert,
    Area,
    CapError,
    Info,
    Reference,
    colour_parameter,
    extract_alerts,
    make_identifier,
    parse,
    schema,
    severity_for_colour,
    to_xml,
)
from yingji.warnings.cap import reader as cap_reader
from yingji.warnings.cap.api import check_root, is_cap_alert, parse_element, parse_element_careful
from yingji.warnings.cap.fast import read_valid
from yingji.warnings.cap.xmlsafe import load
from yingji.warnings.cap_cli import app

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "cap"
SAMPLES = CORPUS / "samples"
MANIFEST = SAMPLES / "manifest.tsv"
MISSING = f"CAP corpus not found at {CORPUS}: the shared folder must sit beside the repository"


def _rows() -> list[dict[str, str]]:
    if not MANIFEST.is_file():
        return []
    with MANIFEST.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


ROWS = _rows()


def _kind(row: dict[str, str]) -> str:
    """'alert' (imports), 'refused', or 'wrapper' (feeds and EDXL-DE)."""
    name = row["file"]
    if row["cap_version"] in ("feed", "edxl-de"):
        return "wrapper"
    if name.startswith(("invalid_", "malformed_")) or "DOCTYPE" in row["features"]:
        return "refused"
    if row["expected_xsd12"] == "valid" or row["cap_version"] in ("1.1", "1.0"):
        # CAP 1.1 and 1.0 alerts are invalid *against the 1.2 XSD* as they stand; yingji converts them.
        return "alert"
    return "refused"


def _params(kind: str) -> list[object]:
    if not ROWS:
        return [pytest.param(None, id="corpus-missing")]
    return [pytest.param(r, id=r["file"]) for r in ROWS if _kind(r) == kind]


def _read(row: dict[str, str] | None) -> bytes:
    if row is None:
        pytest.fail(MISSING)
    return (SAMPLES / row["file"]).read_bytes()


def test_corpus_present() -> None:
    if not ROWS:
        pytest.fail(MISSING)
    assert len(ROWS) == 45
    assert all((SAMPLES / r["file"]).is_file() for r in ROWS)


# -- every file of the manifest -----------------------------------------------------------------


@pytest.mark.parametrize("row", _params("alert"))
def test_valid_sample_round_trips(row: dict[str, str] | None) -> None:
    data = _read(row)
    first = parse(data)
    exported = to_xml(first.alert)
    xsd = schema("1.2")
    assert xsd.validate(etree.fromstring(exported)), xsd.error_log
    second = parse(exported)
    assert second.alert == first.alert
    assert second.version == "1.2"
    assert second.signatures_dropped == 0
    assert to_xml(second.alert) == exported


@pytest.mark.parametrize("row", _params("refused"))
def test_invalid_sample_refused(row: dict[str, str] | None) -> None:
    data = _read(row)
    with pytest.raises(CapError) as info:
        parse(data)
    err = info.value
    assert err.path.startswith("/")
    assert len(err.reason) > 15
    with pytest.raises(CapError):
        extract_alerts(data)


def _expected_embedded(row: dict[str, str]) -> int | None:
    """The manifest's lxml_xsd12 column: embedded alert count; None when the file must be refused."""
    measured = row["lxml_xsd12"]
    if measured.startswith("not-well-formed") or "DOCTYPE" in row["features"]:
        return None
    m = re.search(r"(\d+) embedded CAP 1\.2 alert\(s\), (\d+) XSD-valid", measured)
    if m:
        assert m.group(1) == m.group(2)
        return int(m.group(1))
    assert "no embedded alerts" in measured
    return 0


@pytest.mark.parametrize("row", _params("wrapper"))
def test_wrapper_yields_its_alerts(row: dict[str, str] | None) -> None:
    data = _read(row)
    assert row is not None
    expected = _expected_embedded(row)
    if expected is None:
        with pytest.raises(CapError):
            extract_alerts(data)
        return
    items = extract_alerts(data)
    embedded = [i for i in items if i.link is None]
    assert len(embedded) == expected
    for item in embedded:
        assert item.error is None and item.result is not None
        again = parse(to_xml(item.result.alert))
        assert again.alert == item.result.alert
    if expected == 0:
        assert items and all(i.link and i.link.startswith("http") for i in items)


# -- specific refusals name the element and the reason ---------------------------------------------


def _refusal(name: str) -> CapError:
    if not ROWS:
        pytest.fail(MISSING)
    with pytest.raises(CapError) as info:
        parse((SAMPLES / name).read_bytes())
    return info.value


def test_missing_required_names_scope() -> None:
    err = _refusal("invalid_missing-required.cap")
    assert err.path == "/alert"
    assert "<scope>" in err.reason and "missing" in err.reason


def test_wrong_namespace_names_namespace() -> None:
    err = _refusal("invalid_wrong-namespace.cap")
    assert "urn:oasis:names:tc:emergency:alerts:1.2" in err.reason
    assert "not a CAP namespace" in err.reason


def test_bad_sent_names_sent() -> None:
    err = _refusal("invalid_bad-sent-and-language.xml")
    assert err.path == "/alert/sent"
    assert "'bigboi'" in err.reason
    paths = {p.path for p in err.problems}
    assert {"/alert/info[1]/effective", "/alert/info[1]/onset", "/alert/info[1]/expires"} <= paths


def test_removed_certainty_named() -> None:
    err = _refusal("tg-meteo_invalid-schema.xml")
    assert err.path == "/alert/info[1]"
    assert "<certainty>" in err.reason


def test_xxe_refused_for_doctype() -> None:
    err = _refusal("invalid_xxe-attack.cap")
    assert "DOCTYPE" in err.reason
    if not ROWS:
        pytest.fail(MISSING)
    with pytest.raises(CapError, match="DOCTYPE"):
        extract_alerts((SAMPLES / "feed_xxe-attack.atom").read_bytes())


def test_false_utf8_feed_refused_naming_the_byte() -> None:
    if not ROWS:
        pytest.fail(MISSING)
    with pytest.raises(CapError) as info:
        extract_alerts((SAMPLES / "feed_ca-pelmorex_bad-encoding.atom").read_bytes())
    assert "declares UTF-8" in info.value.reason
    assert "0xe9" in info.value.reason and "line 1, column 548" in info.value.reason


def test_undeclared_prefix_is_not_well_formed() -> None:
    err = _refusal("malformed_undeclared-prefix.xml")
    assert "not well-formed" in err.reason and "cap" in err.reason


def test_warnings_reported_not_refused() -> None:
    if not ROWS:
        pytest.fail(MISSING)
    result = parse((SAMPLES / "ca-eccc_empty-references.cap").read_bytes())
    assert result.alert.references == []
    assert any(w.path == "/alert/references" and "empty" in w.reason for w in result.warnings)
    signed = parse((SAMPLES / "us-ipaws_cancel_signed.xml").read_bytes())
    assert signed.signatures_dropped == 1
    assert any("Signature" in w.reason for w in signed.warnings)
    assert signed.alert.references and isinstance(signed.alert.references[0], Reference)


def test_cap10_and_cap11_convert() -> None:
    if not ROWS:
        pytest.fail(MISSING)
    old = parse((SAMPLES / "oasis-cap10-example3_earthquake.xml").read_bytes())
    assert old.version == "1.0"
    assert old.alert.infos[0].certainty == "Likely"
    assert old.alert.infos[0].parameters[0] == ("EventID", "13970876")
    assert old.alert.infos[0].areas[0].circles == [(32.9525, -115.5527, 0.0)]
    latin = parse((SAMPLES / "us-cisn_cap11_earthquake_signed.cap").read_bytes())
    assert latin.version == "1.1" and latin.signatures_dropped == 1
    assert b"urn:oasis:names:tc:emergency:cap:1.2" in to_xml(latin.alert)


# -- hand-written attacks and rules ----------------------------------------------------------------

CAP_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>T-1</identifier><sender>test@example.org</sender><sent>2026-07-01T08:00:00+08:00</sent>
  <status>Test</status><msgType>Alert</msgType><scope>Public</scope>
"""


def _alert_xml(info_body: str) -> bytes:
    info = f"""<info><category>Met</category><event>Rain</event><urgency>Expected</urgency>
      <severity>Severe</severity><certainty>Likely</certainty>{info_body}</info>"""
    return (CAP_HEAD + info + "</alert>").encode()


def test_billion_laughs_refused() -> None:
    lol = "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    doc = f"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY lol0 "lol">{lol}]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol9;</identifier></alert>"""
    with pytest.raises(CapError, match="DOCTYPE") as info:
        parse(doc.encode())
    assert info.value.path == "/"


def test_doctype_behind_comment_and_utf16_refused() -> None:
    doc = '<?xml version="1.0" encoding="UTF-16"?><!-- x --><!DOCTYPE alert [<!ENTITY a "b">]><alert/>'
    with pytest.raises(CapError, match="DOCTYPE"):
        parse(doc.encode("utf-16"))


def test_six_megabytes_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    big = _alert_xml(f"<description>{'x' * (6 * 1024 * 1024)}</description>")

    def _no_parse(*_args: object, **_kw: object) -> None:
        raise AssertionError("parsed before the size check")

    monkeypatch.setattr(cap.xmlsafe.etree, "fromstring", _no_parse)
    with pytest.raises(CapError) as info:
        parse(big)
    assert "over the limit of 5242880 bytes" in info.value.reason
    with pytest.raises(CapError, match="over the limit of 100 bytes"):
        parse(_alert_xml(""), max_bytes=100)


def test_expires_before_effective_refused() -> None:
    body = "<effective>2026-07-01T10:00:00+08:00</effective><expires>2026-07-01T09:00:00+08:00</expires>"
    with pytest.raises(CapError) as info:
        parse(_alert_xml(body))
    assert info.value.path == "/alert/info[1]/expires"
    assert "before effective" in info.value.reason


def test_open_polygon_refused() -> None:
    body = "<area><areaDesc>精河县</areaDesc><polygon>44.6,82.8 44.7,83.0 44.5,83.1 44.4,82.9</polygon></area>"
    with pytest.raises(CapError) as info:
        parse(_alert_xml(body))
    assert info.value.path == "/alert/info[1]/area[1]/polygon[1]"
    assert "not closed" in info.value.reason


def test_short_polygon_and_bad_circle_refused() -> None:
    with pytest.raises(CapError, match="at least 4 points"):
        parse(_alert_xml("<area><areaDesc>a</areaDesc><polygon>1,1 2,2 1,1</polygon></area>"))
    with pytest.raises(CapError, match="negative") as info:
        parse(_alert_xml("<area><areaDesc>a</areaDesc><circle>44.6,82.8 -5</circle></area>"))
    assert info.value.path == "/alert/info[1]/area[1]/circle[1]"
    with pytest.raises(CapError, match="outside"):
        parse(_alert_xml("<area><areaDesc>a</areaDesc><circle>144.6,82.8 5</circle></area>"))


def test_malformed_references_refused_update_without_references_warned() -> None:
    doc = _alert_xml("").replace(b"<scope>Public</scope>", b"<scope>Public</scope><references>a,b</references>")
    with pytest.raises(CapError, match="sender,identifier,sent") as info:
        parse(doc)
    assert info.value.path == "/alert/references"
    update = _alert_xml("").replace(b"<msgType>Alert</msgType>", b"<msgType>Update</msgType>")
    assert any("references" in w.reason for w in parse(update).warnings)


def test_z_time_refused_in_cap12() -> None:
    doc = _alert_xml("").replace(b"2026-07-01T08:00:00+08:00", b"2026-07-01T00:00:00Z")
    with pytest.raises(CapError) as info:
        parse(doc)
    assert info.value.path == "/alert/sent" and "no 'Z'" in info.value.reason


def test_other_root_names_its_namespace() -> None:
    with pytest.raises(CapError, match="'urn:example:other'"):
        extract_alerts(b'<thing xmlns="urn:example:other"/>')
    with pytest.raises(CapError, match="extract_alerts"):
        parse(b'<feed xmlns="http://www.w3.org/2005/Atom"/>')


def _yingji_alert() -> Alert:
    sent = datetime(2026, 7, 1, 8, 30, tzinfo=BEIJING)
    name, colour = colour_parameter("orange")
    info = Info(
        language="zh-CN",
        category=["Met"],
        event="暴雨",
        urgency="Expected",
        severity=severity_for_colour("orange"),
        certainty="Likely",
        response_type=["Prepare"],
        effective=sent,
        onset=sent + timedelta(hours=2),
        expires=sent + timedelta(hours=24),
        sender_name="精河县气象局",
        headline="精河县气象局发布暴雨橙色预警信号",
        description="预计未来6小时内精河县将出现50毫米以上降水，请注意防范。",
        instruction="停止户外作业，转移低洼地带人员。",
        parameters=[(name, colour), ("level", "二级")],
        areas=[
            Area(
                area_desc="精河县",
                polygons=[[(44.6, 82.8), (44.7, 83.0), (44.5, 83.1), (44.6, 82.8)]],
                circles=[(44.6, 82.9, 12.5)],
                geocodes=[("GB/T 2260", "652722")],
            )
        ],
    )
    return Alert(
        identifier=make_identifier("652722", "006", sent, 1),
        sender="qx@jinghe.example.cn",
        sent=sent,
        status="Actual",
        msg_type="Alert",
        scope="Public",
        infos=[
            info,
            Info(
                language="en-US",
                category=["Met"],
                event="Rainstorm",
                urgency="Expected",
                severity="Severe",
                certainty="Likely",
            ),
        ],
    )


def test_built_alert_exports_schema_valid_with_chinese_and_beijing_time() -> None:
    alert = _yingji_alert()
    xml = to_xml(alert)
    assert schema("1.2").validate(etree.fromstring(xml)), schema("1.2").error_log
    assert "<sent>2026-07-01T08:30:00+08:00</sent>" in xml.decode("utf-8")
    assert "暴雨橙色预警" in xml.decode("utf-8")
    back = parse(xml)
    assert back.alert == alert and back.warnings == []
    assert back.alert.sent.utcoffset() == timedelta(hours=8)


def test_identifier_and_colour_helpers() -> None:
    utc = datetime(2026, 6, 30, 16, 30, tzinfo=UTC)
    ident = make_identifier("652722", "006", utc, 3)
    assert ident == "65272200600000_20260701003000_3"  # Beijing time, 31 characters
    assert len(ident) == 31
    with pytest.raises(ValueError):
        make_identifier("65272", "006", utc, 1)
    with pytest.raises(ValueError):
        make_identifier("652722", "006", datetime(2026, 7, 1), 1)
    with pytest.raises(ValueError):
        make_identifier("652722", "006", utc, 10)
    assert [severity_for_colour(c) for c in ("red", "orange", "yellow", "blue")] == [
        "Extreme", "Severe", "Moderate", "Minor",
    ]  # fmt: skip
    assert cap.colour_for_severity("Severe") == "orange"
    assert colour_parameter("Orange") == ("colour", "orange")


# -- the command line ------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_validate_lines_and_exit_code(tmp_path: Path) -> None:
    good = tmp_path / "good.xml"
    good.write_bytes(to_xml(_yingji_alert()))
    bad = tmp_path / "bad.xml"
    bad.write_bytes(_alert_xml("").replace(b"<scope>Public</scope>", b""))
    ok = runner.invoke(app, ["validate", str(good)])
    assert ok.exit_code == 0 and ok.output == f"{good}: OK\n"
    both = runner.invoke(app, ["validate", str(good), str(bad)])
    assert both.exit_code == 1
    assert both.output.splitlines() == [f"{good}: OK", f"{bad}: /alert: required element <scope> is missing"]


def test_cli_validate_corpus() -> None:
    if not ROWS:
        pytest.fail(MISSING)
    files = [str(SAMPLES / r["file"]) for r in ROWS]
    result = runner.invoke(app, ["validate", *files])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == len(ROWS)
    for row, line in zip(ROWS, lines, strict=True):
        refused = _kind(row) == "refused" or (_kind(row) == "wrapper" and _expected_embedded(row) is None)
        assert line.startswith(str(SAMPLES / row["file"]) + ": ")
        assert (line.endswith(": OK")) != refused, line


def test_cli_convert_cap11_and_edxl() -> None:
    if not ROWS:
        pytest.fail(MISSING)
    for name in ("us-nws_cap11_polygon.cap", "edxlde_au-nsw-rfs.xml"):
        result = runner.invoke(app, ["convert", str(SAMPLES / name)])
        assert result.exit_code == 0, result.output
        xml = result.stdout_bytes
        assert xml.startswith(b"<?xml") and schema("1.2").validate(etree.fromstring(xml))
    small = runner.invoke(app, ["validate", "--max-bytes", "100", str(SAMPLES / "us-usgs_cap11_minimal.cap")])
    assert small.exit_code == 1 and "over the limit of 100 bytes" in small.output
    linked = runner.invoke(app, ["convert", str(SAMPLES / "feed_amber.rss")])
    assert linked.exit_code == 1 and "not fetched" in linked.output


def test_iso_8859_1_declared_encoding_honoured() -> None:
    if not ROWS:
        pytest.fail(MISSING)
    result = parse((SAMPLES / "us-usgs_earthquake_iso-8859-1_signed.cap").read_bytes())
    headline = result.alert.infos[0].headline or ""
    assert "Usulután" in headline
    assert "Usulután".encode() in to_xml(result.alert)  # exported as UTF-8


@pytest.mark.parametrize(
    ("polygon", "points"),
    [
        ("1,2 3,4 5,6 1,2", [(1.0, 2.0), (3.0, 4.0), (5.0, 6.0), (1.0, 2.0)]),
        ("\n  +1.5,.5\t3,4 5.,6 +1.5,0.5 ", [(1.5, 0.5), (3.0, 4.0), (5.0, 6.0), (1.5, 0.5)]),
        ("1e1,2 3,4 5,6 10,2", [(10.0, 2.0), (3.0, 4.0), (5.0, 6.0), (10.0, 2.0)]),
    ],
)
def test_polygon_forms(polygon: str, points: list[tuple[float, float]]) -> None:
    body = f"<area><areaDesc>a</areaDesc><polygon>{polygon}</polygon></area>"
    assert parse(_alert_xml(body)).alert.infos[0].areas[0].polygons == [points]


@pytest.mark.parametrize("polygon", ["1,2,3 4 5,6 1,2,3", "1,2 3,4 5,nan 1,2", "1,2 3,4 5,6_0 1,2", "1,2 3,4 5, 6 1,2"])
def test_malformed_polygon_points_refused(polygon: str) -> None:
    body = f"<area><areaDesc>a</areaDesc><polygon>{polygon}</polygon></area>"
    with pytest.raises(CapError) as info:
        parse(_alert_xml(body))
    assert info.value.path == "/alert/info[1]/area[1]/polygon[1]"


def test_cap10_conversion_checked_against_cap12_schema() -> None:
    doc = (
        b'<alert xmlns="http://www.incident.com/cap/1.0"><identifier>A</identifier><sender>s@x</sender>'
        b"<sent>2003-06-11T20:56:00-07:00</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope>"
        b"<info><language>en_US</language><category>Geo</category><event>E</event><urgency>Past</urgency>"
        b"<severity>Minor</severity><certainty>Very Likely</certainty></info></alert>"
    )
    with pytest.raises(CapError) as info:
        parse(doc)
    assert info.value.path == "/alert/info[1]/language" and "en_US" in info.value.reason


def test_feed_keeps_going_past_a_refused_embedded_alert() -> None:
    good = to_xml(_yingji_alert()).split(b"?>", 1)[1]
    bad = _alert_xml("").split(b"?>", 1)[1].replace(b"<scope>Public</scope>", b"")
    feed = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="text/xml">' + bad + b"</content></entry>"
        b'<entry><content type="text/xml">' + good + b"</content></entry>"
        b'<entry><link rel="alternate" type="application/cap+xml" href="https://example.cn/a.xml"/></entry></feed>'
    )
    items = extract_alerts(feed)
    assert [bool(i.error) for i in items] == [True, False, False]
    assert items[0].error is not None and items[0].error.path == "/feed/entry[1]/content/alert"
    assert items[1].result is not None and items[1].result.alert == _yingji_alert()
    assert items[2].link == "https://example.cn/a.xml"


# -- the quick reader (schema-valid CAP 1.2) and the careful reader give the same result ---------


def _both_ways(el: etree._Element) -> tuple[object, object]:
    """(quick result, careful result) for one ``<alert>`` element: a ParseResult or the problems."""

    def run(fn: Callable[[], object]) -> object:
        try:
            return fn()
        except CapError as exc:
            return exc.problems

    return run(lambda: parse_element(el)), run(lambda: parse_element_careful(el, check_root(el)))


def _alert_elements(data: bytes) -> list[etree._Element]:
    try:
        root = load(data)
    except CapError:
        return []
    return [el for el in root.iter() if is_cap_alert(el)]


@pytest.mark.parametrize("row", [pytest.param(r, id=r["file"]) for r in ROWS] or [None])
def test_quick_and_careful_readers_agree_over_corpus(row: dict[str, str] | None) -> None:
    elements = _alert_elements(_read(row))
    for el in elements:
        quick, careful = _both_ways(el)
        assert quick == careful
    if row is not None and row["expected_xsd12"] == "valid":
        assert len(elements) == 1
        assert read_valid(elements[0]) is not None  # the quick reader really read it


NATIVE = cap_reader.native is not None  # the compiled module is built
_AREA = "<area><areaDesc>a</areaDesc>{}</area>"
QUICK_CASES = [  # (info body, read by the quick reader?)
    (_AREA.format("<polygon>1,2 3,4 5,6 1,2</polygon>"), True),
    # CAP's number forms beyond JSON's: the compiled scanner reads them; the Python one leaves them to the careful way
    (_AREA.format("<polygon>\n  +1.5,.5\t3,4 5.,6 +1.5,0.5 </polygon>"), NATIVE),
    (_AREA.format("<polygon>1e1,2 3,4 5,6 10,2</polygon>"), False),
    (_AREA.format("<polygon>1,2  3,4\n5,6 1,2</polygon><polygon> </polygon>"), True),
    (_AREA.format("<polygon>-0,2 3.25,4 5,-6.5 -0,2</polygon>"), True),
    (_AREA.format("<polygon>1,2 3,4 5,6 1,3</polygon>"), False),
    (_AREA.format("<polygon>1,2 3,4 1,2</polygon>"), False),
    (_AREA.format("<polygon>1,2 3,4 91,6 1,2</polygon>"), False),
    (_AREA.format("<polygon>1,2 3,4 5, 6 1,2</polygon>"), False),
    (_AREA.format("<polygon>,2 3,4 5,6 1,2</polygon>"), False),
    (_AREA.format("<circle>44.5,82.9 10</circle><circle></circle>"), True),
    (_AREA.format("<circle>44.5,82.9 -1</circle>"), False),
    (_AREA.format("<ceiling>5</ceiling>"), True),
    (_AREA.format("<altitude>7</altitude><ceiling>5</ceiling>"), False),
    (_AREA.format("<geocode><valueName>GB</valueName><!-- c --><value>652722</value></geocode>"), True),
    ("<effective>2026-07-01T10:00:00+08:00</effective><expires>2026-07-01T09:00:00+08:00</expires>", False),
    ("<onset>2026-07-01T10:00:00+08:00</onset><expires>2026-07-01T11:00:00+08:00</expires>", True),
    ("<effective>2026-02-30T10:00:00+08:00</effective>", False),
    ("<resource><resourceDesc>map</resourceDesc><mimeType> image/png </mimeType><size>-5</size></resource>", False),
    ("<resource><resourceDesc>map</resourceDesc><mimeType>image/png</mimeType><size>+12</size></resource>", True),
    ("<language> zh-CN </language><headline>暴雨<!-- c -->橙色预警</headline><web> http://x.cn </web>", True),
]


@pytest.mark.parametrize(("body", "quick"), QUICK_CASES)
def test_quick_and_careful_readers_agree_on_edge_cases(body: str, quick: bool) -> None:
    (el,) = _alert_elements(_alert_xml(body))
    assert (read_valid(el) is not None) == quick
    assert _both_ways(el)[0] == _both_ways(el)[1]


REF = "<references>a@b,X-1,2026-07-01T07:00:00+08:00</references>"
HEADER_CASES = [  # (replacements in the header, read by the quick reader?)
    ([("Alert", "Update")], True),
    ([("Alert", "Cancel"), ("Public</scope>", "Public</scope><references> </references>")], True),
    ([("Alert", "Update"), ("Public</scope>", "Public</scope>" + REF)], True),
    ([("Public</scope>", "Public</scope><references>a@b,X-1</references>")], False),
    ([("Public", "Restricted")], True),
    ([("Public", "Private")], True),
    ([("<identifier>T-1", "<identifier>T 1")], False),
]


@pytest.mark.parametrize(("changes", "quick"), HEADER_CASES)
def test_quick_and_careful_readers_agree_on_header_cases(changes: list[tuple[str, str]], quick: bool) -> None:
    doc = _alert_xml("").decode()
    for old, new in changes:
        doc = doc.replace(old, new, 1)
    (el,) = _alert_elements(doc.encode())
    assert (read_valid(el) is not None) == quick
    assert _both_ways(el)[0] == _both_ways(el)[1]
