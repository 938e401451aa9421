from django.urls import path

from shequ.residents.views import home

app_name = "residents"

urlpatterns = [
    path("", home.home, name="home"),
    path("profile/", home.profile, name="profile"),
]
