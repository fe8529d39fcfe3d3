from django.db import models

from tidecrm.core import clock


class SandboxSms(models.Model):
    """The sandbox SMS provider's outbox: messages that a real provider would have sent."""

    phone = models.CharField(max_length=20)
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [models.Index(fields=["phone", "-created_at"], name="sandbox_sms_phone")]
        ordering = ["-created_at", "-id"]
