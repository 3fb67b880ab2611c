from odoo import models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    def _ps_sync_capacity_needs(self):
        """Needs released (the opportunity is lost or fell back below the threshold) close
        the early staffing requests created from them: nobody is staffed on a lost deal."""
        result = super()._ps_sync_capacity_needs()
        needs = self.env["ps.capacity.need"].sudo().search(
            [("lead_id", "in", self.ids), ("state", "=", "released")])
        if needs:
            self.env["ps.staffing.request"]._ps_close_early_requests(
                needs, self.env._("the opportunity was lost or fell below the probability of "
                                  "Settings"))
        return result
