"""[inbox] Outgoing mail: replies and proactive mails queued once, sent by a task, retried."""

from .delivery import (  # noqa: F401
    RETRY,
    StoredEmail,
    message_deliver,
    message_send_attempt,
    messages_send_pending,
)
from .mime import OutgoingFile, reply_html_sanitise  # noqa: F401
from .queue import (  # noqa: F401
    Appointment,
    ProactiveResult,
    address_is_valid,
    proactive_queue,
    reply_queue,
    sender_display_name,
)
