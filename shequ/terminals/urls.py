from django.urls import path

from shequ.terminals import views

app_name = "terminals"

urlpatterns = [
    path("kiosk/<slug:device_id>/", views.kiosk, name="kiosk"),
    path("kiosk/<slug:device_id>/live/", views.kiosk_live, name="kiosk_live"),
    path("kiosk/<slug:device_id>/sos/", views.kiosk_sos, name="kiosk_sos"),
]
