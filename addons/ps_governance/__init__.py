from . import controllers
from . import models
from . import wizards


def uninstall_hook(env):
    """Without Governance, ps_base's Oversight section shows the exceptions, the audit
    trail and the business events again."""
    menu = env.ref("ps_base.ps_oversight_menu", raise_if_not_found=False)
    if menu:
        menu.active = True
