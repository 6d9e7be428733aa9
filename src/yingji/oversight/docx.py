"""A small WordprocessingML (DOCX) writer: headings, paragraphs and tables — enough for a draft that
people open in Word or WPS, edit and finish. Standard library only (zipfile + escaped XML)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml"
 ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>"""
_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
 Target="word/document.xml"/>
</Relationships>"""
_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _clean(text: Any) -> str:
    """Text as XML character data; characters XML 1.0 cannot carry are dropped."""
    raw = "" if text is None else str(text)
    kept = "".join(ch for ch in raw if ch in "\t\n\r" or (ord(ch) >= 0x20 and ch not in "\ufffe\uffff"))
    return escape(kept)


def _run(text: str, *, bold: bool = False, size: int = 24) -> str:
    props = f'<w:rPr><w:rFonts w:eastAsia="SimSun"/>{"<w:b/>" if bold else ""}<w:sz w:val="{size}"/></w:rPr>'
    lines = _clean(text).split("\n")
    body = '<w:br/>'.join(f'<w:t xml:space="preserve">{line}</w:t>' for line in lines)
    return f"<w:r>{props}{body}</w:r>"


class Document:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def heading(self, text: str, level: int = 1) -> None:
        size = {1: 36, 2: 30, 3: 26}.get(level, 24)
        align = '<w:pPr><w:jc w:val="center"/></w:pPr>' if level == 1 else ""
        self.parts.append(f"<w:p>{align}{_run(text, bold=True, size=size)}</w:p>")

    def paragraph(self, text: str) -> None:
        self.parts.append(f"<w:p>{_run(text)}</w:p>")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        border = ('<w:tblBorders>' + "".join(f'<w:{s} w:val="single" w:sz="4" w:space="0" w:color="808080"/>'
                                             for s in ("top", "left", "bottom", "right", "insideH", "insideV"))
                  + '</w:tblBorders>')
        out = [f'<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/>{border}</w:tblPr>']
        for i, row in enumerate([list(headers), *[list(r) for r in rows]]):
            cells = "".join(f"<w:tc><w:p>{_run(str(v), bold=i == 0, size=20)}</w:p></w:tc>" for v in row)
            out.append(f"<w:tr>{cells}</w:tr>")
        out.append("</w:tbl><w:p/>")
        self.parts.append("".join(out))

    def to_bytes(self) -> bytes:
        body = "".join(self.parts)
        document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {_NS}><w:body>{body}'
                    '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>')
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("[Content_Types].xml", _CONTENT_TYPES)
            z.writestr("_rels/.rels", _RELS)
            z.writestr("word/document.xml", document)
        return out.getvalue()
