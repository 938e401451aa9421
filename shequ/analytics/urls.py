from django.urls import path

from shequ.analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.figures, name="figures"),
    path("<int:area_id>/", views.figures, name="figures_area"),
    path("<int:area_id>/export.xlsx", views.figures_export, name="figures_export"),
]
