"""The GeoReport v2 resources. Each view decodes, makes one selector or service
call, and writes the answer in the format the path ends with (.json or .xml).

Discovery and the service list and definitions are open; service requests and
tokens need an API key (``X-API-Key`` header, ``Authorization: Bearer``, or the
spec's ``api_key`` parameter) and show only what the key's user may see.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from shequ.accounts.audit import client_ip
from shequ.exchange.models import ApiKey
from shequ.exchange.services import apikey_authenticate, parse_key
from shequ.open311 import documents, selectors
from shequ.open311.filing import ApiKeyRefused
from shequ.open311.services import error_descriptions, permission_description, service_request_create
from shequ.open311.submission import Submission
from shequ.open311.wire import JSON, XML, Open311Error, render, render_error

GET, POST = "GET", "POST"


def _raw_key(request: HttpRequest) -> str:
    header = request.headers.get("X-API-Key", "")
    if header:
        return header
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        return token
    if request.method == POST:
        return request.POST.get("api_key", "")
    return request.GET.get("api_key", "")


def _authenticate(request: HttpRequest) -> ApiKey:
    key = apikey_authenticate(_raw_key(request))
    if key is None:
        raise Open311Error(403, _("api_key 缺失或无效。"))
    return key


def endpoint(*methods: str, key: tuple[str, ...] = ()) -> Callable:
    """Method check, key check for the methods in ``key``, and every failure in the spec's error body."""

    def decorate(view: Callable) -> Callable:
        @csrf_exempt  # machines post forms without a CSRF token; the API key authenticates them
        @wraps(view)
        def wrapper(request: HttpRequest, fmt: str, **kwargs) -> HttpResponse:
            try:
                if request.method not in methods:
                    response = render_error(fmt, 405, [_("不支持 %(method)s 方法。") % {"method": request.method}])
                    response["Allow"] = ", ".join(methods)
                    return response
                if request.method in key:
                    kwargs["api_key"] = _authenticate(request)
                return view(request, fmt, **kwargs)
            except Open311Error as exc:
                return render_error(fmt, exc.status, exc.descriptions)
            except ApiKeyRefused as exc:
                return render_error(fmt, 403, [str(exc)])
            except ValidationError as exc:
                return render_error(fmt, 400, error_descriptions(exc))
            except PermissionDenied as exc:
                return render_error(fmt, 403, [permission_description(exc)])

        return wrapper

    return decorate


@endpoint(GET)
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    return render(fmt, "discovery", documents.discovery_document(request))


@endpoint(GET)
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    return render(fmt, "services", [documents.service_document(category) for category in selectors.service_list()])


@endpoint(GET)
def service_definition(request: HttpRequest, fmt: str, service_code: str) -> HttpResponse:
    category = selectors.service_get(service_code)
    if category is None:
        raise Open311Error(404, _("没有代码为“%(code)s”的服务。") % {"code": service_code})
    return render(fmt, "service_definition", documents.service_definition_document(category))


@endpoint(GET, POST, key=(GET,))
def requests(request: HttpRequest, fmt: str, api_key: ApiKey | None = None) -> HttpResponse:
    if request.method == POST:
        raw_key = _raw_key(request)
        if parse_key(raw_key) is None:  # no need to queue what cannot be a key
            raise Open311Error(403, _("api_key 缺失或无效。"))
        # the key is checked with the others of its batch, in one query
        row = service_request_create(raw_key=raw_key, ip=client_ip(request),
                                     submission=Submission.from_form(request.POST))
        return render(fmt, "service_requests", documents.created_document(row))
    query = selectors.request_query_parse(request.GET)
    cases = selectors.request_list(user=api_key.user, query=query)
    addresses = selectors.addresses_for(cases)
    return render(fmt, "service_requests", [documents.request_document(case, addresses[case.area_id])
                                            for case in cases])


@endpoint(GET, key=(GET,))
def request_detail(request: HttpRequest, fmt: str, service_request_id: str, api_key: ApiKey) -> HttpResponse:
    case = selectors.request_get(user=api_key.user, number=service_request_id)
    if case is None:  # missing and outside the key's areas answer alike
        raise Open311Error(404, _("没有编号为“%(id)s”的诉求。") % {"id": service_request_id})
    address = selectors.addresses_for([case])[case.area_id]
    return render(fmt, "service_requests", [documents.request_document(case, address)])


@endpoint(GET, key=(GET,))
def token(request: HttpRequest, fmt: str, token: str, api_key: ApiKey) -> HttpResponse:
    row = selectors.token_get(user=api_key.user, token=token)
    if row is None:
        raise Open311Error(404, _("没有这个令牌。"))
    return render(fmt, "service_requests", documents.token_document(row))


@csrf_exempt
def not_found(request: HttpRequest, rest: str) -> HttpResponse:
    fmt = JSON if rest.endswith(".json") else XML  # XML is the spec's required format
    return render_error(fmt, 404, [_("没有这个资源：/%(path)s（资源名须以 .json 或 .xml 结尾）。") % {"path": rest}])
