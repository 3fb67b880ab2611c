from . import test_install
from . import test_webhook_outbound
from . import test_webhook_inbound
from . import test_scorecard
from . import test_exception_queue
from . import test_audit_governance
from . import test_advisory
