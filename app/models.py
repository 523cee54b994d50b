"""Every model module, imported so that Base.metadata is complete (Alembic, tests)."""

from app.auth import models as auth_models
from app.claims import models as claims_models
from app.core.db import Base
from app.enrollment import models as enrollment_models
from app.members import models as members_models
from app.notifications import models as notifications_models
from app.payments import models as payments_models
from app.plans import models as plans_models
from app.roster import models as roster_models

__all__ = [
    "Base",
    "auth_models",
    "claims_models",
    "enrollment_models",
    "members_models",
    "notifications_models",
    "payments_models",
    "plans_models",
    "roster_models",
]
