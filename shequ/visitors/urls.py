from django.urls import path

from shequ.visitors import views

app_name = "visitors"

urlpatterns = [
    path("my/", views.my_passes, name="my_passes"),
    path("my/new/", views.my_pass_new, name="my_pass_new"),
    path("my/<int:pk>/", views.my_pass_detail, name="my_pass_detail"),
    path("my/<int:pk>/revoke/", views.my_pass_revoke, name="my_pass_revoke"),
    path("s/<slug:key>/", views.pass_share, name="pass_share"),
    path("guard/", views.guard, name="guard"),
    path("guard/live/", views.guard_live, name="guard_live"),
    path("guard/walk-in/", views.walk_in, name="walk_in"),
    path("guard/passes/<int:pk>/check-in/", views.guard_check_in, name="guard_check_in"),
    path("guard/passes/<int:pk>/revoke/", views.guard_revoke, name="guard_revoke"),
    path("guard/visits/<int:pk>/check-out/", views.guard_check_out, name="guard_check_out"),
    path("log/", views.visit_log, name="visit_log"),
    path("figures/", views.figures, name="figures"),
]
