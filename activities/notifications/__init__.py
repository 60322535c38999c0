"""Notifications out: telling a policy's webhooks that an action waits for a decision."""

from activities.notifications.delivery import notify_approval

__all__ = ["notify_approval"]
