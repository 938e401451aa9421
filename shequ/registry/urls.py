from django.urls import path

from shequ.registry import views

app_name = "registry"

urlpatterns = [
    path("", views.home, name="home"),
    path("home/counts/", views.home_counts, name="home_counts"),
    path("areas/<int:pk>/", views.area_detail, name="area_detail"),
    path("areas/<int:pk>/counts/", views.area_counts, name="area_counts"),
    path("find/", views.person_find, name="person_find"),
    path("picker/", views.picker, name="picker"),
    path("people/", views.person_list, name="person_list"),
    path("people/new/", views.person_create, name="person_create"),
    # person lists link to "<person_list><pk>/" without a reverse() per row: keep the two in step
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/delete/", views.person_delete, name="person_delete"),
    path("people/<int:pk>/reveal/", views.person_reveal, name="person_reveal"),
    path("people/<int:pk>/residences/new/", views.residence_add, name="residence_add"),
    path("residences/<int:pk>/end/", views.residence_end, name="residence_end"),
    path("houses/", views.house_list, name="house_list"),
    path("houses/new/", views.house_create, name="house_create"),
    path("houses/<int:pk>/", views.house_detail, name="house_detail"),
    path("houses/<int:pk>/edit/", views.house_edit, name="house_edit"),
    path("organizations/", views.organization_list, name="organization_list"),
    path("organizations/new/", views.organization_create, name="organization_create"),
    path("organizations/<int:pk>/", views.organization_detail, name="organization_detail"),
    path("organizations/<int:pk>/edit/", views.organization_edit, name="organization_edit"),
    path("organizations/<int:pk>/delete/", views.organization_delete, name="organization_delete"),
    path("organizations/<int:pk>/members/new/", views.member_add, name="member_add"),
    path("members/<int:pk>/end/", views.member_end, name="member_end"),
    path("vehicles/", views.vehicle_list, name="vehicle_list"),
    path("vehicles/new/", views.vehicle_create, name="vehicle_create"),
    path("vehicles/<int:pk>/", views.vehicle_detail, name="vehicle_detail"),
    path("vehicles/<int:pk>/edit/", views.vehicle_edit, name="vehicle_edit"),
    path("vehicles/<int:pk>/delete/", views.vehicle_delete, name="vehicle_delete"),
    path("facilities/", views.facility_list, name="facility_list"),
    path("facilities/new/", views.facility_create, name="facility_create"),
    path("facilities/<int:pk>/", views.facility_detail, name="facility_detail"),
    path("facilities/<int:pk>/edit/", views.facility_edit, name="facility_edit"),
    path("facilities/<int:pk>/delete/", views.facility_delete, name="facility_delete"),
]
