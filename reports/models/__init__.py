# One module per concern.
from .exports import ExportJob  # noqa: F401
from .ratings import Rating  # noqa: F401
from .rollups import Audience, BacklogThread, CaseloadDay, DailyRollup, RollupDay  # noqa: F401
