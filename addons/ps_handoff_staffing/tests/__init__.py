from . import test_install
from . import test_handoff_staffing
