from . import test_install
from . import test_invoice_release
from . import test_readiness
from . import test_sweeps
from . import test_timesheet_approval
from . import test_timesheet_audit
