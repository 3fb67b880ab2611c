from . import ps_handoff
