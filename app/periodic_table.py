"""The table of periodic jobs, owned by the composition root: `create_app` gives it to the app,
and the scheduler below knows none of these jobs.

`periodic` holds the jobs that take a moment; `periodic-slow` those that may wait on a provider
or do long work (SMS at the sender's rate, SNS, Twilio's recordings, storage), so that none of
them can delay the detector or `replay-pending`.
"""

from __future__ import annotations

from forwarding.notice_sms import pace_sms
from forwarding.notice_sweeper import sweep_notices
from forwarding.sms_delivery import import_sns_opt_outs
from forwarding.sweeper import sweep_deliveries
from voicemail.reconcile import reconcile_recordings
from voicemail.sweeper import sweep_voicemails

from .detector import check_primary
from .notices import release_overdue
from .pending import replay_pending
from .periodic import QUICK, SLOW, Periodic
from .reminders import remind_admins
from .retention import purge_voicemails_periodically

PERIODIC_JOBS = (
    Periodic("replay-pending", 5, replay_pending, QUICK),
    Periodic("sweep-voicemails", 60, sweep_voicemails, QUICK),
    Periodic("sweep-deliveries", 60, sweep_deliveries, QUICK),
    Periodic("reconcile-recordings", 300, reconcile_recordings, SLOW),
    Periodic("detect-primary-outage", 15, check_primary, QUICK),
    Periodic("remind-stale-outages", 60, remind_admins, SLOW),
    Periodic("auto-notify-outages", 15, release_overdue, QUICK),
    Periodic("pace-notice-sms", 5, pace_sms, SLOW),
    Periodic("sweep-notices", 60, sweep_notices, QUICK),
    Periodic("import-sns-opt-outs", 3600, import_sns_opt_outs, SLOW),
    Periodic("purge-voicemails", 600, purge_voicemails_periodically, SLOW),
)
