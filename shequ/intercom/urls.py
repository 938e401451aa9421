from django.urls import path

from shequ.intercom import views

app_name = "intercom"

urlpatterns = [
    path("terminal/<slug:device_id>/", views.terminal, name="terminal"),
    path("terminal/<slug:device_id>/call/", views.terminal_call, name="terminal_call"),
    path("terminal/<slug:device_id>/call/<int:call_id>/end/", views.terminal_end, name="terminal_end"),
    path("", views.inbox, name="inbox"),
    path("calls/<int:call_id>/answer/", views.call_answer, name="answer"),
    path("calls/<int:call_id>/reject/", views.call_reject, name="reject"),
    path("calls/<int:call_id>/unlock/", views.call_unlock, name="unlock"),
]
