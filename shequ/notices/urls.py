from django.urls import path

from shequ.notices import views

app_name = "notices"

urlpatterns = [
    path("", views.notice_list, name="notice_list"),
    path("new/", views.notice_create, name="notice_create"),
    path("approvals/", views.approval_queue, name="approval_queue"),
    path("board/", views.staff_board, name="staff_board"),
    path("<int:pk>/", views.notice_detail, name="notice_detail"),
    path("<int:pk>/edit/", views.notice_edit, name="notice_edit"),
    path("<int:pk>/steps/<slug:step>/", views.notice_act, name="notice_act"),
    path("templates/", views.template_list, name="template_list"),
    path("templates/new/", views.template_create, name="template_create"),
    path("templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("templates/<int:pk>/delete/", views.template_delete, name="template_delete"),
    path("my/", views.my_notices, name="my_notices"),
    path("my/<int:pk>/", views.my_notice_detail, name="my_notice_detail"),
]
