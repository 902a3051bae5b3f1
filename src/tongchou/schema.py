"""Every table of the system in one metadata: the store's own and those other packages add
(supervision, console users). Migrations and the schema test compare against this."""

from __future__ import annotations

import tongchou.access.models  # noqa: F401 - registers its tables on Base
import tongchou.audit.models  # noqa: F401 - registers its tables on Base
import tongchou.supervision.models  # noqa: F401 - registers its tables on Base
from tongchou.store.models import Base

metadata = Base.metadata
