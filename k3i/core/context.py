from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def k3i_context(request: HttpRequest) -> dict[str, Any]:
    return {"K3I_DEMO": settings.DEMO_MODE, "K3I_DEBUG": settings.DEBUG}
