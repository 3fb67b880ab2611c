from . import ps_handoff_template
from . import ps_capacity_need
from . import crm_lead
from . import ps_handoff
from . import ps_kickoff_exception
from . import sale_order
from . import project_project
from . import res_config_settings
