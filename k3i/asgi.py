import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "k3i.settings")
application = get_asgi_application()

if os.environ.get("K3I_RUN_SEALER") == "1":
    # `k3i serve` / `k3i demo`: every web process seals the audit ledger in the background.
    from django.conf import settings

    from k3i.core.audit import Sealer

    Sealer(settings.AUDIT_SEAL_INTERVAL_SECONDS).start()
