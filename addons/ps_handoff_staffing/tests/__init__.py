from . import test_install
from . import test_handoff_staffing
from . import test_capacity_need_request
