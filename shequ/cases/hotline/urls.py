"""Included by shequ/cases/urls.py under "hotline/", so the names live in the "cases" namespace."""

from django.urls import path

from shequ.cases.hotline import views

urlpatterns = [
    path("", views.hotline_import_page, name="hotline_import"),
    path("confirm/", views.hotline_confirm, name="hotline_confirm"),
    path("template/", views.hotline_template, name="hotline_template"),
]
