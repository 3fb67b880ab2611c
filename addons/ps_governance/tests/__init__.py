from . import test_install
from . import test_webhook_outbound
from . import test_webhook_inbound
from . import test_scorecard
