import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "k3i.settings")
application = get_asgi_application()

if os.environ.get("K3I_RUN_SEALER") == "1":
    # `k3i serve` / `k3i demo`: every web process seals the audit ledger in the background.
    from django.conf import settings

    from k3i.core.audit import Sealer

    Sealer(settings.AUDIT_SEAL_INTERVAL_SECONDS).start()

if os.environ.get("K3I_RUN_JOBS") == "1":
    # Escalation of overdue incidents and SLA alerts (k3i.core.jobs); `k3i jobs` runs them as a process of its own.
    from k3i.core.jobs import JobRunner

    JobRunner().start()
