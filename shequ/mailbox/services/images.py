"""Letter images: checked by the cases app's photo check (Pillow reads what the
file really is), then stored re-encoded, without metadata.

Phone photos carry EXIF: GPS position, device, time. For an anonymous letter that
is the sender's home; for any letter the police need the picture, not the
metadata. Re-encoding keeps the pixels (turned upright first) and drops the rest.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps

from shequ.cases.services.photos import ALLOWED_FORMATS, MAX_PHOTO_BYTES, MAX_PHOTOS, CheckedPhoto, photos_check
from shequ.mailbox.models import Letter, LetterImage

MAX_IMAGES = MAX_PHOTOS
MAX_IMAGE_BYTES = MAX_PHOTO_BYTES
_FORMAT_OF_EXTENSION = {extension: fmt for fmt, extension in ALLOWED_FORMATS.items()}


def images_check(images: Sequence[UploadedFile]) -> list[CheckedPhoto]:
    """Refuse too many, too large, or fake images; every problem under ``images``."""
    try:
        return photos_check(images)
    except ValidationError as exc:
        raise ValidationError({"images": exc.error_dict["photos"]}) from exc


def _without_metadata(photo: CheckedPhoto) -> bytes:
    fmt = _FORMAT_OF_EXTENSION[photo.extension]
    photo.file.seek(0)
    with Image.open(photo.file) as original:
        upright = ImageOps.exif_transpose(original)
        if fmt == "JPEG" and upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        buffer = io.BytesIO()
        # no exif=, icc_profile= or pnginfo=: Pillow writes none of the source's metadata
        upright.save(buffer, format=fmt, quality=90)
    photo.file.seek(0)
    return buffer.getvalue()


def images_save(*, letter: Letter, images: Sequence[CheckedPhoto]) -> list[LetterImage]:
    """Store checked images under random names (the uploaded name may hold anything)."""
    saved = []
    for photo in images:
        row = LetterImage(letter=letter)
        row.image.save(f"{uuid.uuid4().hex}.{photo.extension}", ContentFile(_without_metadata(photo)), save=False)
        row.save()
        saved.append(row)
    return saved
