from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from shequ.api import api

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("accounts/", include("shequ.accounts.urls")),
    path("exchange/", include("shequ.exchange.urls")),
    path("cases/", include("shequ.cases.urls")),
    path("meetings/", include("shequ.meetings.urls")),
    path("open311/v2/", include("shequ.open311.urls")),
    path("figures/", include("shequ.analytics.urls")),
    path("alarms/", include("shequ.alarms.urls")),
    path("access/", include("shequ.access.urls")),
    path("intercom/", include("shequ.intercom.urls")),
    path("VIID/", include("shequ.access.adapters.urls")),
    path("visitors/", include("shequ.visitors.urls")),
    path("notices/", include("shequ.notices.urls")),
    path("mailbox/", include("shequ.mailbox.urls")),
    path("terminals/", include("shequ.terminals.urls")),
    path("me/", include("shequ.residents.urls")),
    path("", include("shequ.registry.urls")),
]
