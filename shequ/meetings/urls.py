from django.urls import path

from shequ.meetings import views

app_name = "meetings"

urlpatterns = [
    path("", views.meeting_list, name="meeting_list"),
    path("<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("<int:pk>/agenda/build/", views.agenda_build, name="agenda_build"),
    path("<int:pk>/agenda/add/", views.agenda_add, name="agenda_add"),
    path("<int:pk>/attendance/", views.attendance_record, name="attendance_record"),
    path("<int:pk>/minutes/", views.minutes_record, name="minutes_record"),
    path("<int:pk>/decisions/new/", views.decision_add, name="decision_add"),
    path("agenda/<int:pk>/note/", views.agenda_note, name="agenda_note"),
    path("decisions/<int:pk>/done/", views.decision_done, name="decision_done"),
    path("areas/<int:area_id>/schedule/", views.meeting_schedule, name="meeting_schedule"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/<int:complex_id>/", views.team_detail, name="team_detail"),
    path("teams/<int:complex_id>/appoint/", views.seat_appoint, name="seat_appoint"),
    path("teams/<int:complex_id>/visits/new/", views.visit_create, name="visit_create"),
    path("teams/<int:complex_id>/houses/", views.visit_houses, name="visit_houses"),
    path("teams/<int:complex_id>/coverage/", views.coverage, name="coverage"),
    path("seats/<int:pk>/replace/", views.seat_replace, name="seat_replace"),
    path("seats/<int:pk>/end/", views.seat_end, name="seat_end"),
    path("visits/", views.visit_list, name="visit_list"),
    path("visits/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/problems/new/", views.visit_problem_add, name="visit_problem_add"),
    path("common-problems/", views.common_problem_list, name="common_problem_list"),
    path("common-problems/<int:pk>/", views.common_problem_detail, name="common_problem_detail"),
    path("common-problems/<int:pk>/accept/", views.common_problem_accept, name="common_problem_accept"),
    path("common-problems/<int:pk>/dismiss/", views.common_problem_dismiss, name="common_problem_dismiss"),
]
