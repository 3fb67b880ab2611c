from . import test_approval_engine
from . import test_approval_config
from . import test_delegation
from . import test_escalation
from . import test_audit
from . import test_exception_event
from . import test_performance
from . import test_ui
