from django.urls import path

from shequ.residents.views import face, home, login, sos

app_name = "residents"

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", login.login_phone, name="login"),
    path("login/code/", login.login_code, name="login_code"),
    path("login/choose/", login.login_choose, name="login_choose"),
    path("logout/", login.logout, name="logout"),
    path("household/", home.household, name="household"),
    path("household/<int:pk>/", home.member, name="member"),
    path("profile/", home.profile, name="profile"),
    path("sos/", sos.sos, name="sos"),
    path("sos/<int:pk>/", sos.sos_status, name="sos_status"),
    path("face/", face.face, name="face"),
    path("face/<int:pk>/photo/", face.face_photo, name="face_photo"),
    path("face/<int:pk>/withdraw/", face.face_withdraw, name="face_withdraw"),
]
