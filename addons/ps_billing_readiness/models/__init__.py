from . import account_analytic_line
from . import account_move
from . import account_move_line
from . import ps_billing_readiness
from . import res_config_settings
from . import sale_order
from . import sale_order_line
