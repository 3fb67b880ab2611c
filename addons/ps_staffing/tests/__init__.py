from . import test_install
from . import test_allocation
from . import test_ranking
