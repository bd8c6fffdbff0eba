from django.contrib.auth.models import User
from django.http import JsonResponse
from django.urls import path


def health(request):
    # Reads a table `manage.py migrate` created: proves the startup command migrated first.
    return JsonResponse({"status": "ok", "users": User.objects.count()})


urlpatterns = [path("health", health)]
