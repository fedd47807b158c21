"""[inbox] Outgoing mail: replies and proactive mails queued once, sent by a task, retried.

`content` (the words, pure), `mime` (the bytes, pure), `queue` (reply_queue, fixing the
bytes once), `proactive` (proactive_queue), `delivery` (message_deliver, retries, sweep).
"""

from .content import (  # noqa: F401
    Appointment,
    MailContent,
    appointment_when,
    mail_content,
    placeholder_context,
)
from .delivery import (  # noqa: F401
    RETRY,
    StoredEmail,
    message_deliver,
    message_requeue,
    message_send_attempt,
    messages_send_pending,
)
from .mime import OutgoingFile, reply_html_sanitise  # noqa: F401
from .proactive import ProactiveResult, proactive_queue  # noqa: F401
from .queue import (  # noqa: F401
    MailPreview,
    address_is_valid,
    counsellor_writing_as,
    reply_queue,
    reply_render,
    reply_subject,
    sender_display_name,
)
