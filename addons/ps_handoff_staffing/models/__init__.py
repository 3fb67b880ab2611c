from . import ps_handoff
from . import ps_staffing_request
from . import ps_capacity_need
from . import crm_lead
