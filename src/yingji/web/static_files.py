"""Static files that a phone keeps. A page names each script and style sheet with the hash of its content
(``static_url("css/app.css")`` → ``/static/css/app.css?v=3f9a…``): an answer to that name may be kept for a
year without asking again, because a changed file gets a new name. A name without the hash (or with an old
one) is answered as before, to be checked against its ETag on every use."""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"
KEEP = "public, max-age=31536000, immutable"  # a versioned name: its content never changes
CHECK = "no-cache"  # any other: kept, but checked (ETag / If-None-Match) before each use


def static_url(path: str) -> str:
    """The versioned address of a file under ``static/`` (unversioned if the file is not there, as the
    front-end packages are before ``make install`` fetches them: the page still draws)."""
    try:
        found = (STATIC_DIR / path).stat()
    except OSError:
        return f"/static/{path}"
    return f"/static/{path}?v={_digest(path, found.st_mtime_ns, found.st_size)}"


@lru_cache(maxsize=512)
def _digest(path: str, _mtime_ns: int, _size: int) -> str:
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]


class VersionedStaticFiles(StaticFiles):
    """StaticFiles whose answers say how long they may be kept."""

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [""])[0]
        response.headers["Cache-Control"] = KEEP if asked and asked == _current(full_path, stat_result) else CHECK
        return response


def _current(full_path: str | os.PathLike[str], found: os.stat_result) -> str:
    try:
        path = Path(full_path).resolve().relative_to(STATIC_DIR.resolve()).as_posix()
    except ValueError:  # not under static/ as this module knows it: no version to compare
        return ""
    return _digest(path, found.st_mtime_ns, found.st_size)
