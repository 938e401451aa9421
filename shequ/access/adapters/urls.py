"""GA/T 1400 paths are fixed by the standard (``/VIID/…``, case as written): devices
are configured with host and port only. Include at ``VIID/`` in ``shequ/urls.py``."""

from django.urls import path

from shequ.access.adapters import gat1400_views as views

app_name = "viid"

urlpatterns = [
    path("System/Register", views.register, name="register"),
    path("System/Keepalive", views.keepalive, name="keepalive"),
    path("System/UnRegister", views.unregister, name="unregister"),
    path("System/Time", views.system_time, name="time"),
    path("MotorVehicles", views.motor_vehicles, name="motor_vehicles"),
    path("Faces", views.faces, name="faces"),
]
