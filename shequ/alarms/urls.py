from django.urls import path

from shequ.alarms import views

app_name = "alarms"

urlpatterns = [
    path("", views.console, name="console"),
    path("history/", views.alarm_list, name="alarm_list"),
    path("<int:pk>/", views.alarm_detail, name="alarm_detail"),
    # the console builds these from one template: /alarms/{id}/{step}/
    path("<int:pk>/acknowledge/", views.alarm_acknowledge, name="alarm_acknowledge"),
    path("<int:pk>/close/", views.alarm_close, name="alarm_close"),
    path("<int:pk>/note/", views.alarm_note, name="alarm_note"),
]
