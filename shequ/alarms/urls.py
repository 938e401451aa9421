from django.urls import path

from shequ.alarms import views

app_name = "alarms"

urlpatterns = [
    path("", views.console, name="console"),
    path("police/", views.police_console, name="police_console"),
    path("street/", views.street_console, name="street_console"),
    path("history/", views.alarm_list, name="alarm_list"),
    path("stats/", views.alarm_stats, name="alarm_stats"),
    path("<int:pk>/", views.alarm_detail, name="alarm_detail"),
    # the consoles build these from one template: /alarms/{id}/{step}/ (console.js STEPS)
    path("<int:pk>/acknowledge/", views.alarm_acknowledge, name="alarm_acknowledge"),
    path("<int:pk>/dispatch/", views.alarm_dispatch, name="alarm_dispatch"),
    path("<int:pk>/on-scene/", views.alarm_on_scene, name="alarm_on_scene"),
    path("<int:pk>/close/", views.alarm_close, name="alarm_close"),
    path("<int:pk>/note/", views.alarm_note, name="alarm_note"),
    path("<int:pk>/forward/", views.alarm_forward, name="alarm_forward"),
]
