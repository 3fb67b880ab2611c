# Models of this addon are imported here, one module per model.
from . import ps_event
from . import ps_webhook_endpoint
from . import ps_webhook_delivery
from . import ps_webhook_caller
from . import ps_exception
from . import ps_kpi_definition
from . import ps_kpi_value
from . import ps_audit_verification
from . import res_config_settings
from . import ps_advisor
