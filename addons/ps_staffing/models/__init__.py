from . import hr_employee
from . import ps_staffing_request
from . import ps_staffing_allocation
from . import ps_staffing_candidate
from . import ps_staffing_utilization
from . import res_config_settings
