"""A resident's face photo to a face template: checked like every uploaded image
(``shequ.cases`` photo checks), then dlib's pipeline (``shequ.edge.face``) finds
the face and computes the 128-number template the doors compare against."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from functools import cache

import numpy as np
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from shequ.cases.services.photos import photos_check

#: longest side the detector looks at: a phone's 12 MP photo only slows HOG down
DETECT_MAX_SIDE = 1024
#: the enrolment photo kept (encrypted) with the template, for staff to check a match by eye
KEPT_MAX_SIDE = 480


@dataclass(frozen=True)
class FacePhoto:
    embedding: bytes  # 128 float32, little-endian, unit length
    jpeg: bytes  # the photo, downsized, as kept with the template


def _error(message: str, code: str) -> ValidationError:
    return ValidationError({"photo": ValidationError(message, code=code)})


@cache
def _pipeline():
    # loading the dlib models takes about a second: once per process. The pipeline is
    # not safe to share between threads, hence the lock in face_photo_read.
    from shequ.edge.face.pipeline import FacePipeline

    return FacePipeline()


_pipeline_lock = threading.Lock()


def face_photo_read(upload: UploadedFile | None) -> FacePhoto:
    """The template of the largest face on ``upload``; ValidationError under ``photo``
    when it is missing, not a JPEG/PNG/WebP image, too large, or shows no face."""
    if not upload:
        raise _error(_("请选择一张本人正面照片。"), "required")
    try:
        photos_check([upload])
    except ValidationError as exc:
        raise ValidationError({"photo": exc.error_dict["photos"]}) from exc
    upload.seek(0)
    try:
        with Image.open(upload) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")  # phones store portrait photos sideways
    except (OSError, ValueError, Image.DecompressionBombError):
        raise _error(_("无法读取这张照片，请换一张再试。"), "photo_unreadable") from None
    finally:
        upload.seek(0)
    image.thumbnail((DETECT_MAX_SIDE, DETECT_MAX_SIDE))
    try:
        from shequ.edge.face.models import ModelsMissing

        with _pipeline_lock:
            result = _pipeline().process(np.asarray(image))
    except ModelsMissing:
        raise _error(_("人脸识别暂不可用，请稍后再试或到物业办理。"), "face_unavailable") from None
    if result.face is None:
        raise _error(_("照片中没有找到人脸。请正对镜头、光线充足、不戴帽子和墨镜后重拍。"), "no_face")
    kept = image.copy()
    kept.thumbnail((KEPT_MAX_SIDE, KEPT_MAX_SIDE))
    buffer = io.BytesIO()
    kept.save(buffer, format="JPEG", quality=85)
    return FacePhoto(result.face.vector.astype("<f4").tobytes(), buffer.getvalue())
