"""Case photos: checked for what they are (Pillow reads them), not what they are called."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from shequ.accounts.audit import Actor
from shequ.cases.models import Case, CasePhoto

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 6
#: Pillow format -> file extension the photo is stored under
ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


@dataclass(frozen=True)
class CheckedPhoto:
    file: UploadedFile
    extension: str


def _detect_format(upload: UploadedFile) -> str | None:
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            fmt = image.format
            image.verify()  # walks the data: a truncated or forged file fails here
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        return None
    finally:
        upload.seek(0)
    return fmt


def photos_check(photos: Sequence[UploadedFile], *, existing: int = 0) -> list[CheckedPhoto]:
    """Refuse too many photos, too large ones, and anything that is not really a
    JPEG, PNG or WebP image; every problem is reported at once under ``photos``."""
    photos = [photo for photo in photos if photo]
    errors: list[ValidationError] = []
    if existing + len(photos) > MAX_PHOTOS:
        errors.append(ValidationError(_("最多上传 %(max)d 张照片。") % {"max": MAX_PHOTOS}, code="photos_too_many"))
    checked = []
    for photo in photos:
        name = getattr(photo, "name", "") or _("照片")
        if photo.size > MAX_PHOTO_BYTES:
            errors.append(ValidationError(
                _("照片“%(name)s”超过 %(mb)d MB，请压缩后再上传。") % {"name": name, "mb": MAX_PHOTO_BYTES // (1024 * 1024)},
                code="photo_too_large"))
            continue
        fmt = _detect_format(photo)
        if fmt not in ALLOWED_FORMATS:
            errors.append(ValidationError(
                _("“%(name)s”不是 JPEG、PNG 或 WebP 格式的图片。") % {"name": name}, code="photo_type"))
            continue
        checked.append(CheckedPhoto(photo, ALLOWED_FORMATS[fmt]))
    if errors:
        raise ValidationError({"photos": errors})
    return checked


def photos_save(*, actor: Actor, case: Case, photos: Sequence[CheckedPhoto], stage: str = "report") -> list[CasePhoto]:
    """Store checked photos under random names (the uploaded name may hold anything)."""
    saved = []
    for photo in photos:
        row = CasePhoto(case=case, uploaded_by=actor.user, stage=stage)
        row.image.save(f"{uuid.uuid4().hex}.{photo.extension}", photo.file, save=False)
        row.save()
        saved.append(row)
    return saved


def photo_content_type(photo: CasePhoto) -> str:
    return CONTENT_TYPES.get(photo.image.name.rsplit(".", 1)[-1].lower(), "application/octet-stream")
