from . import test_install
from . import test_allocation
from . import test_ranking
from . import test_sweeps
from . import test_security
from . import test_utilization
from . import test_settings
from . import test_percentage
