"""Every error the JSON API answers, in one shape and in the request's language.

Field errors (422), whether pydantic found them in the request or a service
refused the values::

    {"detail": [{"field": "residents.2.phone", "code": "mobile_format", "message": "..."}]}

``field`` is the dotted path into the request body (or the query parameter's
name); ``null`` when the error is about the request as a whole. Every other
error is ``{"detail": "<message>", "code": "<code>"}``: 401 not authenticated,
403 refused, 404 missing *or outside the caller's areas* (the two must not be
told apart), 409 a database constraint.

Pydantic writes its messages in English; the common ones are replaced by our own
gettext messages so ``Accept-Language`` (LocaleMiddleware) picks the language.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger(__name__)

# where ninja says a value came from: never part of the field path
_SOURCES = frozenset({"body", "query", "path", "header", "cookie", "form", "file"})
# names of the operation parameters that hold a whole schema (``payload: PersonIn``,
# ``filters: Query[PersonFilters]``): the client never typed them
PARAMETER_NAMES = frozenset({"payload", "filters"})

# pydantic error type -> message; ``{name}`` placeholders come from the error's ctx
_PYDANTIC_MESSAGES = {
    "missing": _("此字段为必填项。"),
    "string_type": _("请输入文本。"),
    "string_too_short": _("至少需要 {min_length} 个字符。"),
    "string_too_long": _("最多 {max_length} 个字符。"),
    "string_pattern_mismatch": _("格式不正确。"),
    "int_type": _("请输入整数。"),
    "int_parsing": _("请输入整数。"),
    "int_from_float": _("请输入整数。"),
    "float_parsing": _("请输入数字。"),
    "decimal_parsing": _("请输入数字。"),
    "decimal_type": _("请输入数字。"),
    "decimal_max_digits": _("数字位数过多。"),
    "decimal_max_places": _("小数位数过多。"),
    "decimal_whole_digits": _("整数部分位数过多。"),
    "greater_than": _("必须大于 {gt}。"),
    "greater_than_equal": _("不能小于 {ge}。"),
    "less_than": _("必须小于 {lt}。"),
    "less_than_equal": _("不能大于 {le}。"),
    "bool_parsing": _("请输入 true 或 false。"),
    "bool_type": _("请输入 true 或 false。"),
    "date_parsing": _("日期格式应为 YYYY-MM-DD。"),
    "date_from_datetime_parsing": _("日期格式应为 YYYY-MM-DD。"),
    "date_from_datetime_inexact": _("日期不能带时间。"),
    "date_type": _("日期格式应为 YYYY-MM-DD。"),
    "enum": _("无效的选项，可选值：{expected}。"),
    "literal_error": _("无效的选项，可选值：{expected}。"),
    "list_type": _("请输入列表。"),
    "model_type": _("请输入对象。"),
    "model_attributes_type": _("请输入对象。"),
    "dict_type": _("请输入对象。"),
    "json_invalid": _("请求体不是有效的 JSON。"),
    "extra_forbidden": _("不支持此字段。"),
}


def field_path(loc: Iterable[Any]) -> str | None:
    """``("body", "payload", "residents", 2, "phone")`` -> ``"residents.2.phone"``."""
    parts = list(loc)
    if parts and parts[0] in _SOURCES:
        parts = parts[1:]
    if parts and parts[0] in PARAMETER_NAMES:
        parts = parts[1:]
    return ".".join(str(part) for part in parts) or None


def _pydantic_message(error: Mapping[str, Any]) -> str:
    template = _PYDANTIC_MESSAGES.get(error.get("type", ""))
    if template is None:
        return str(error.get("msg", ""))
    try:
        return str(template).format(**(error.get("ctx") or {}))
    except (KeyError, IndexError, ValueError):
        return str(template).split("{", 1)[0].rstrip("，：: ")


def pydantic_errors(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Ninja's error dicts (``loc``, ``type``, ``msg``, ``ctx``) in our shape."""
    return [
        {
            "field": field_path(error.get("loc", ())),
            "code": error.get("type", "invalid"),
            "message": _pydantic_message(error),
        }
        for error in errors
    ]


def service_errors(exc: DjangoValidationError) -> list[dict[str, Any]]:
    """A service's ValidationError (keyed by field, or not) in our shape."""
    entries: list[dict[str, Any]] = []
    # ValidationError({"field": "message"}, code="x") keeps "x" only in its args
    outer_code = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], str) else None
    if hasattr(exc, "error_dict"):
        items = exc.error_dict.items()
    else:
        items = [(NON_FIELD_ERRORS, exc.error_list)]
    for field, errors in items:
        path = None if field == NON_FIELD_ERRORS else field
        for error in errors:
            for message in error.messages:
                code = getattr(error, "code", None) or outer_code or "invalid"
                entries.append({"field": path, "code": code, "message": str(message)})
    return entries


class FieldErrors(Exception):
    """Field errors an API operation collected itself (already in our shape)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self.errors = errors


def rename_fields(exc: DjangoValidationError, names: Mapping[str, str], prefix: str = "") -> FieldErrors:
    """A service ValidationError with its keys renamed to the API's field names
    (``area`` -> ``area_id``) and put under ``prefix`` (``residents.2``)."""
    errors = service_errors(exc)
    for error in errors:
        field = error["field"]
        if field is not None:
            head, _sep, rest = field.partition(".")
            field = names.get(head, head) + (f".{rest}" if rest else "")
        error["field"] = ".".join(part for part in (prefix, field) if part) or None
    return FieldErrors(errors)


def _detail(api: NinjaAPI, request: HttpRequest, status: int, message: Any, code: str) -> HttpResponse:
    return api.create_response(request, {"detail": str(message), "code": code}, status=status)


def install(api: NinjaAPI) -> None:
    """Register the handlers on ``api`` (replacing ninja's defaults)."""

    def on_ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return api.create_response(request, {"detail": pydantic_errors(exc.errors)}, status=422)

    def on_field_errors(request: HttpRequest, exc: FieldErrors) -> HttpResponse:
        return api.create_response(request, {"detail": exc.errors}, status=422)

    def on_service_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return api.create_response(request, {"detail": service_errors(exc)}, status=422)

    def on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = _detail(api, request, 401, _("未登录，或 API 密钥无效。"), "not_authenticated")
        response["WWW-Authenticate"] = 'Bearer realm="shequ"'
        return response

    def on_authorization(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return _detail(api, request, 403, _("您无权执行此操作。"), "permission_denied")

    def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return _detail(api, request, 403, str(exc) or _("您无权执行此操作。"), "permission_denied")

    def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        # one message for "no such row" and "not in your areas": never say which
        return _detail(api, request, 404, _("未找到该记录。"), "not_found")

    def on_integrity(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
        # the database's own text names tables and values: log it, do not answer it
        logger.info("API write refused by a constraint: %s", exc)
        return _detail(api, request, 409, _("与已有数据冲突（重复或仍被引用），未保存。"), "conflict")

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 403 and "CSRF" in exc.message:
            return _detail(api, request, 403, _("CSRF 校验失败，请刷新页面后重试。"), "csrf_failed")
        if exc.status_code == 400 and exc.message.startswith("Cannot parse request body"):
            return _detail(api, request, 400, _("请求体不是有效的 JSON。"), "bad_request")
        return _detail(api, request, exc.status_code, exc.message, "http_error")

    api.add_exception_handler(NinjaValidationError, on_ninja_validation)
    api.add_exception_handler(FieldErrors, on_field_errors)
    api.add_exception_handler(DjangoValidationError, on_service_validation)
    api.add_exception_handler(AuthenticationError, on_authentication)
    api.add_exception_handler(AuthorizationError, on_authorization)
    api.add_exception_handler(PermissionDenied, on_permission_denied)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(ObjectDoesNotExist, on_not_found)
    api.add_exception_handler(IntegrityError, on_integrity)
    api.add_exception_handler(HttpError, on_http_error)
