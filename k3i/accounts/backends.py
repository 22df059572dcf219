"""Login backend: Django's model backend, refusing locked accounts and demo accounts outside demo mode."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend


class K3iBackend(ModelBackend):
    def user_can_authenticate(self, user: Any) -> bool:
        if not super().user_can_authenticate(user):
            return False
        if getattr(user, "is_demo", False) and not settings.DEMO_MODE:
            return False
        return not user.is_locked()
