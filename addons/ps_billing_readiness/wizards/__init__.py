from . import ps_timesheet_reject_wizard
from . import ps_billing_override_wizard
from . import ps_billing_period_wizard
