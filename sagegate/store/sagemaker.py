"""SageMaker resources: notebook instances, lifecycle configs, jobs, models, endpoints."""

from __future__ import annotations

from sagegate.store.base import StoreBase


class SageMakerMixin(StoreBase):
    pass
