"""Worker-side remote-control command ``botcore_model``: which model this worker has loaded.

`botctl workers status` broadcasts it over the broker. Imported by ``workers.celery_app``
(``include=[..., "workers.control"]``) so every worker registers it at start.
"""

from __future__ import annotations

from typing import Any

from celery.worker.control import inspect_command

from botcore.admin.workers import ModelReport
from workers.celery_app import app

__all__ = ["app", "botcore_model"]


@inspect_command(name="botcore_model")  # type: ignore[misc]
def botcore_model(state: Any, **_: Any) -> ModelReport:
    """``{"model_version", "loaded", "device"}`` of this worker process."""
    from workers.runtime import runtime

    rt = runtime()
    loaded = getattr(rt, "_service", None) is not None
    service = getattr(rt, "_service", None)
    device = getattr(service, "device", None) or rt.settings.device
    return {"model_version": rt.model_version if loaded else None, "loaded": loaded,
            "device": str(device)}
