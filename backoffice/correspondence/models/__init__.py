# One module per concern; each issue adds its own module and one import line here.
from .archive import ArchiveEntry  # noqa: F401
from .core import Attachment, Message, RawMail, Thread  # noqa: F401
from .display import RemoteImagesConsent  # noqa: F401
from .inbox import Consultation, ThreadEvent, ThreadRead  # noqa: F401
from .sla import OutboxMail, ScheduledContact, SlaEvent  # noqa: F401
