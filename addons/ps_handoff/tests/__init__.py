from . import test_install
from . import test_handoff
from . import test_capacity
from . import test_ui
from . import test_inbound_actions
