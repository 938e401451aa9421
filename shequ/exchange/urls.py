from django.urls import path

from shequ.exchange import views

app_name = "exchange"

urlpatterns = [
    path("", views.index, name="index"),
    path("confirm/", views.confirm, name="confirm"),
    path("templates/<slug:kind>/", views.template, name="template"),
    path("export/<slug:kind>/", views.export, name="export"),
]
