"""CAP 1.2 (Common Alerting Protocol, OASIS) for yingji: model, safe import, export, feeds.

Decisions (see the module docstrings for detail):

* **Import is strict and safe** (:mod:`.xmlsafe`): size limit checked first (5 MB default), any
  DOCTYPE refused, no entities, no network, no DTD loading.
* **Encoding**: the declared encoding is honoured; a document declaring UTF-8 that is not UTF-8
  is *refused* (naming the byte), never decoded by guesswork.
* **Versions**: CAP 1.2 is validated against the shipped OASIS 1.2 XSD, CAP 1.1 against the 1.1
  XSD (with ``ds:Signature`` set aside: that XSD has no slot for it), CAP 1.0 (no schema shipped)
  by the reader's own structure checks; all load into the 1.2 model and export as 1.2.
* **Order of work** (:mod:`.api`): a CAP 1.2 alert is validated against the compiled XSD first; a valid
  one is read by the quick reader (:mod:`.fast`, CAP rules beyond the schema, straight into the model),
  whose values come from the compiled module ``_native`` (C, built at install; the same values are read
  in Python where it is not built). Anything the schema or the quick reader refuses goes the careful way
  (:mod:`.reader`, then the XSD), which names each element at fault and the reason. All ways give the
  same result.
* **Signatures**: enveloped ``ds:Signature`` elements are *dropped with a warning* and not verified.
  A re-export changes the bytes, so a kept signature could only be a broken one;
  ``ParseResult.signatures_dropped`` says how many were there.
* **Errors vs warnings**: the table in :mod:`.reader`. Every sample of the shared corpus that the
  manifest marks valid imports; warnings are returned in ``ParseResult.warnings``.
* **Export** (:func:`to_xml`): CAP 1.2, UTF-8, XSD element order, times
  ``YYYY-MM-DDThh:mm:ss±hh:mm`` (offset kept as imported; no ``Z``, no fractions).
"""

from .api import parse, parse_element, validate
from .feeds import CarriedAlert, extract_alerts
from .gbt import (
    BEIJING,
    COLOUR_PARAMETER,
    COLOUR_TO_SEVERITY,
    SEVERITY_TO_COLOUR,
    colour_for_severity,
    colour_parameter,
    make_identifier,
    severity_for_colour,
)
from .model import (
    CAP10_NS,
    CAP11_NS,
    CAP12_NS,
    Alert,
    Area,
    CapError,
    Info,
    ParseResult,
    Problem,
    Reference,
    Resource,
)
from .schema import schema, xsd_problems
from .writer import format_time, to_element, to_xml
from .xmlsafe import DEFAULT_MAX_BYTES

__all__ = [
    "BEIJING", "CAP10_NS", "CAP11_NS", "CAP12_NS", "COLOUR_PARAMETER", "COLOUR_TO_SEVERITY", "DEFAULT_MAX_BYTES",
    "SEVERITY_TO_COLOUR", "Alert", "Area", "CapError", "CarriedAlert", "Info", "ParseResult", "Problem",
    "Reference", "Resource", "colour_for_severity", "colour_parameter", "extract_alerts", "format_time",
    "make_identifier", "parse", "parse_element", "schema", "severity_for_colour", "to_element", "to_xml",
    "validate", "xsd_problems",
]  # fmt: skip
