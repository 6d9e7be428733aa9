"""Helpers for the oversight pages: pagers, redirects, file responses, reading multipart forms."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import RedirectResponse, Response

from yingji.errors import UserError

PageNo = Annotated[int, Query(ge=1, le=100000)]
Text = Annotated[str, Query(max_length=100)]
Code = Annotated[str, Query(max_length=16)]
Export = Annotated[str, Query(max_length=8)]
YearQ = Annotated[int | None, Query(ge=2000, le=2100)]
PER_PAGE = 50


class Pager:
    def __init__(self, items: list[Any], total: int, page: int, per_page: int = PER_PAGE) -> None:
        self.items, self.total, self.page, self.per_page = items, total, page, per_page


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def file_response(data: bytes, media_type: str, filename: str) -> Response:
    return Response(data, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


async def form_and_file(request: Request, file_field: str = "file") -> tuple[dict[str, Any], Any]:
    """The text fields of a submitted form (CSRF token left out) and the uploaded file, if one was chosen."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    upload = form.get(file_field)
    if upload is None or isinstance(upload, str) or not getattr(upload, "filename", ""):
        return values, None
    return values, upload


def choice(value: str, allowed: Any, field: str) -> str:
    if value and value not in allowed:
        raise UserError("Choose one of the listed values.", field=field)
    return value
