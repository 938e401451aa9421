"""The site's URLs plus the mailbox API on a test NinjaAPI, until ``shequ.api``
mounts ``shequ.mailbox.api.ROUTERS`` (then the tests can use /api/v1/mailbox/)."""

from django.urls import path
from ninja import NinjaAPI

from shequ.core import api_errors
from shequ.exchange.auth import API_AUTH
from shequ.mailbox.api import ROUTERS
from shequ.urls import urlpatterns as site_urlpatterns

api = NinjaAPI(title="Shequ mailbox API (tests)", version="test", urls_namespace="mailbox-api-test", auth=API_AUTH)
api_errors.install(api)
for prefix, router in ROUTERS:
    api.add_router(prefix, router)

urlpatterns = [path("api/test/", api.urls), *site_urlpatterns]
