"""The table of periodic jobs, owned by the composition root: `create_app` gives it to the app,
and the scheduler below knows none of these jobs.

`periodic` holds the jobs that take a moment; `periodic-slow` those that may wait on a provider
or do long work (SMS at the sender's rate, SNS, Twilio's recordings, storage), so that none of
them can delay the detector or `replay-pending`.
"""

from __future__ import annotations

from app.admin.throttle import forget_lapsed
from app.core.periodic import QUICK, SLOW, Periodic
from app.outages.detector import check_primary
from app.outages.notices.policy import release_overdue
from app.outages.notices.sms import pace_sms
from app.outages.notices.sms_delivery import import_sns_opt_outs
from app.outages.notices.sweeper import sweep_notices
from app.outages.reminders import remind_admins
from app.resilience.pending import replay_pending
from app.retention import purge_voicemails_periodically
from forwarding.sweeper import sweep_deliveries
from voicemail.reconcile import reconcile_recordings
from voicemail.sweeper import sweep_voicemails

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
    Periodic("forget-lapsed-logins", 3600, forget_lapsed, QUICK),
)
