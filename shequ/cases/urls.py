from django.urls import include, path

from shequ.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("new/", views.case_create, name="case_create"),
    path("places/", views.area_picker, name="area_picker"),
    path("<int:pk>/", views.case_detail, name="case_detail"),
    path("<int:pk>/steps/<slug:step>/", views.case_act, name="case_act"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("report/", views.report, name="report"),
    path("mine/", views.my_case_list, name="my_case_list"),
    path("mine/<int:pk>/", views.my_case_detail, name="my_case_detail"),
    path("mine/<int:pk>/steps/<slug:step>/", views.my_case_act, name="my_case_act"),
    path("hotline/", include("shequ.cases.hotline.urls")),
]
