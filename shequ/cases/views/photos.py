"""Case photos, served only through a check that the case is visible to the user
(never from a public /media/ URL: photos show homes and faces)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest

from shequ.cases import selectors
from shequ.cases.models import CasePhoto
from shequ.cases.services.photos import photo_content_type


@login_required
def photo(request: HttpRequest, pk: int) -> FileResponse:
    try:
        found = selectors.photo_get(user=request.user, pk=pk)
        handle = found.image.open("rb")
    except (CasePhoto.DoesNotExist, FileNotFoundError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=photo_content_type(found))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    return response
