"""URLconf for the decorator tests: the real URLs plus two protected views."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.generic import View

from k3i.accounts.decorators import LoginRequired2FAMixin, login_required_2fa
from k3i.urls import urlpatterns as base


@login_required_2fa
def protected(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"halo {request.user.get_username()}")


class Protected(LoginRequired2FAMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("halo kelas")


urlpatterns = [path("uji/lindung/", protected), path("uji/kelas/", Protected.as_view()), *base]
