"""Every model module, imported so that Base.metadata is complete (Alembic, tests)."""

from app.core.db import Base
from app.plans import models as plans_models

__all__ = ["Base", "plans_models"]
