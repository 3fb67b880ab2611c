from . import ps_approval_decision_wizard
