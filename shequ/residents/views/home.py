"""Resident home and household pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "residents/home.html", {"nav_section": "home"})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "residents/home.html", {"nav_section": "me"})
