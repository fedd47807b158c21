"""`{% load sla_tags %}{% thread_sla_panel thread %}`: a thread's deadline and its history.

Dates are shown in the agency's time zone, the one the deadline is counted in.
"""

from django import template

from ..sla_selectors import thread_scheduled_contacts, thread_sla_history

register = template.Library()


@register.inclusion_tag("correspondence/sla/thread_panel.html")
def thread_sla_panel(thread):
    return {
        "thread": thread,
        "time_zone": thread.agency.time_zone,
        "events": list(thread_sla_history(thread=thread)),
        "contacts": list(thread_scheduled_contacts(thread=thread)),
    }
