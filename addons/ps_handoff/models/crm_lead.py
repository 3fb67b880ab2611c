from odoo import fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    ps_handoff_template_id = fields.Many2one(
        "ps.handoff.template", "Service Line", tracking=True,
        help="The service line the deal would be delivered by: past the probability of "
             "Settings, its roles become provisional capacity needs")
    ps_capacity_need_ids = fields.One2many(
        "ps.capacity.need", "lead_id", "Capacity Needs", readonly=True,
        groups="ps_base.group_ps_project_manager,ps_base.group_ps_resource_manager")

    def _ps_sync_capacity_needs(self):
        """Keep each opportunity's provisional needs in line with its probability, its
        service line and whether it is still open: one row per role of the service line
        while the opportunity is at or past the threshold, released when it falls back or
        is lost, confirmed ones left alone. Idempotent and batched: one search, one
        create, one write per state, whatever the number of opportunities."""
        Need = self.env["ps.capacity.need"].sudo()
        threshold = Need._probability_threshold()
        leads = self.sudo().with_context(active_test=False).filtered("id")
        existing = Need.search([("lead_id", "in", leads.ids)])
        by_key = {(need.lead_id.id, need.template_line_id.id): need for need in existing}
        to_create, keep = [], Need.browse()
        for lead in leads:
            wanted = lead.active and lead.type == "opportunity" \
                and lead.probability >= threshold and lead.ps_handoff_template_id
            if not wanted:
                continue
            for line in lead.ps_handoff_template_id.sudo().staffing_ids:
                need = by_key.get((lead.id, line.id))
                if need:
                    keep |= need
                else:
                    to_create.append(Need._vals_for(lead, line))
        stale = (existing - keep).filtered(lambda n: n.state == "provisional")
        if stale:
            stale.write({"state": "released"})
        revived = keep.filtered(lambda n: n.state == "released")
        if revived:
            revived.write({"state": "provisional"})
        if to_create:
            Need.create(to_create)
        return True
