from django.urls import path

from shequ.mailbox import views

app_name = "mailbox"

urlpatterns = [
    path("", views.index, name="index"),
    # residents
    path("mine/", views.my_letters, name="my_letters"),
    path("write/", views.letter_write, name="write"),
    path("mine/<int:pk>/", views.my_letter, name="my_letter"),
    path("mine/<int:pk>/steps/<slug:step>/", views.my_letter_act, name="my_letter_act"),
    # police
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/export.csv", views.inbox_export, name="inbox_export"),
    path("overdue/", views.overdue, name="overdue"),
    path("letters/<int:pk>/", views.letter_detail, name="letter_detail"),
    path("letters/<int:pk>/steps/<slug:step>/", views.letter_act, name="letter_act"),
    path("letters/<int:pk>/reveal/", views.letter_reveal, name="letter_reveal"),
    path("stats/", views.stats, name="stats"),
    # both
    path("images/<int:pk>/", views.image, name="image"),
]
