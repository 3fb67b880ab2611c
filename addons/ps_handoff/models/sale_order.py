from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # groups: reading an order never needs rights on delivery records (Odoo's sales
    # managers without a PS group read every field of their orders)
    ps_handoff_id = fields.One2many("ps.handoff", "order_id", "Handoff", readonly=True,
                                    groups="ps_base.group_ps_user")

    def _action_confirm(self):
        result = super()._action_confirm()
        self._ps_create_handoffs()
        return result

    def _ps_create_handoffs(self):
        """One handoff per confirmed order that sells services delivered by a project;
        never two, however often or by whatever door the order is confirmed."""
        # sudo: a salesperson confirming the order starts the handoff, whatever their
        # rights on delivery records
        confirmed = self.filtered(lambda o: o.state == "sale").sudo()
        # the order's projects (sale_project's project_ids, without its per-user filter):
        # its own, its lines', its services' and those linked to it; read in one query
        # for the batch, then project_ids only where there is one
        linked = set(self.env["project.project"].sudo().search(
            [("sale_order_id", "in", confirmed.ids)]).sale_order_id.ids) if confirmed else ()
        orders = confirmed.filtered(
            lambda o: o.project_id or o.id in linked or o.order_line.project_id
            or o.order_line.product_id.project_id)
        existing = self.env["ps.handoff"].sudo().search([("order_id", "in", orders.ids)])
        orders -= existing.order_id
        if not orders:
            return existing.browse()
        templates = self.env["ps.handoff.template"].sudo().search([])
        now = fields.Datetime.now()
        vals_list = []
        for order in orders:
            template = order._ps_handoff_template(templates)
            project = order.project_id or order.project_ids[:1]
            vals_list.append({
                "order_id": order.id, "template_id": template.id, "project_id": project.id,
                "confirmed_at": now, "last_progress_date": now,
                "contact_ids": [fields.Command.set(order.partner_id.child_ids.filtered(
                    lambda p: p.type == "contact").ids[:5])],
                "po_number": order.client_order_ref or False,
            })
        handoffs = self.env["ps.handoff"].sudo().create(vals_list)
        handoffs._kickoff_project()
        # the opportunity's provisional demand is now the project's
        needs = self.env["ps.capacity.need"].sudo().search([
            ("lead_id", "in", orders.opportunity_id.ids), ("state", "!=", "confirmed")])
        for handoff in handoffs.filtered("opportunity_id"):
            needs.filtered(lambda n, h=handoff: n.lead_id == h.opportunity_id).write(
                {"state": "confirmed", "handoff_id": handoff.id})
        return handoffs

    def _ps_handoff_template(self, templates):
        """The template of the order's service line: the first whose product categories
        hold a service of the order, else the first without categories."""
        self.ensure_one()
        categories = self.order_line.product_id.categ_id
        company = self.company_id
        usable = templates.filtered(lambda t: t.company_id in (company, self.env["res.company"]))
        return usable.filtered(lambda t: t.product_categ_ids & categories)[:1] \
            or usable.filtered(lambda t: not t.product_categ_ids)[:1]
