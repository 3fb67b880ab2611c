from odoo import api, fields, models
from odoo.exceptions import UserError

OVERAGE_STATES = [("draft", "Draft"), ("submitted", "Waiting for Approval"),
                  ("approved", "Approved"), ("rejected", "Rejected")]
OPEN_OVERAGE_STATES = ("draft", "submitted", "rejected")


class PsBillingRetainerOverage(models.Model):
    """A prepaid block of hours (retainer) consumed beyond 100%: the overage is agreed by
    the order's account manager, then finance, through ps_base's approval engine (rule
    "Retainers: overage above the prepaid hours", data of this addon). Opened by the
    retainer sweep, once per order line and prepaid quantity: a top-up (more hours sold)
    lets a later overage be asked again."""

    _name = "ps.billing.retainer.overage"
    _description = "Retainer Overage"
    _inherit = ["mail.thread", "mail.activity.mixin", "ps.approval.mixin", "ps.audit.mixin"]
    _order = "id desc"
    _ps_state_field = "state"
    _ps_approval_guard = {"state": ("approved",)}
    _ps_state_on_approved = "approved"
    _ps_state_on_rejected = "rejected"
    _ps_audit_fields = ("state", "consumed_hours", "contracted_hours")
    _mail_post_access = "read"

    sale_line_id = fields.Many2one("sale.order.line", "Retainer Line", required=True,
                                   readonly=True, index=True, ondelete="cascade")
    order_id = fields.Many2one(related="sale_line_id.order_id", store=True, index=True,
                               string="Order")
    partner_id = fields.Many2one(related="sale_line_id.order_id.partner_id", store=True,
                                 string="Customer")
    user_id = fields.Many2one(related="sale_line_id.order_id.user_id", store=True,
                              string="Account Manager", index=True)
    company_id = fields.Many2one(related="sale_line_id.order_id.company_id", store=True,
                                 index=True)
    contracted_hours = fields.Float("Prepaid Hours", readonly=True, required=True,
                                    help="Hours of the retainer line when the overage was "
                                         "found")
    consumed_hours = fields.Float(readonly=True,
                                  help="Hours delivered on the line when the overage was found")
    overage_hours = fields.Float("Overage (h)", compute="_compute_overage", store=True)
    consumption = fields.Float("Consumed (%)", compute="_compute_overage", store=True,
                               aggregator="max")
    state = fields.Selection(OVERAGE_STATES, default="draft", required=True, readonly=True,
                             index=True, tracking=True, copy=False)
    note = fields.Text(help="What was agreed with the customer (a top-up, a change order, "
                            "written off)")

    _sql_constraints = [("line_qty_uniq", "UNIQUE(sale_line_id, contracted_hours)",
                         "One overage per retainer line and prepaid quantity.")]

    @api.depends("contracted_hours", "consumed_hours")
    def _compute_overage(self):
        for overage in self:
            sold = overage.contracted_hours
            overage.overage_hours = max(overage.consumed_hours - sold, 0.0)
            overage.consumption = overage.consumed_hours / sold * 100.0 if sold else 0.0

    @api.depends("order_id", "overage_hours")
    def _compute_display_name(self):
        for overage in self:
            overage.display_name = self.env._(
                "%(order)s: %(hours)s h over the retainer", order=overage.order_id.name or "-",
                hours=round(overage.overage_hours, 2))

    def write(self, vals):
        # what was found is the sweep's (superuser): a user writes the note only, the
        # state goes through Send for Approval and the engine
        if not self.env.su and set(vals) & {"sale_line_id", "contracted_hours", "state",
                                            "consumed_hours", "overage_hours", "consumption"}:
            raise UserError(self.env._(
                "The hours of a retainer overage are those the sweep found, and its status "
                "changes with Send for Approval and the approvers' decisions; write a note "
                "instead."))
        return super().write(vals)

    def action_submit(self):
        """Ask the account manager, then finance, to agree the overage."""
        if self.filtered(lambda o: o.state not in ("draft", "rejected")):
            raise UserError(self.env._("Only draft or rejected overages are sent for "
                                       "approval."))
        self.check_access("write")
        # sudo: the state is the engine's and this action's (guarded against any other door)
        self.sudo().write({"state": "submitted"})
        self.env["ps.approval.request"]._request_for(self)
        # no rule applies (archived): nothing to agree, the overage is accepted
        self.filtered(lambda o: o.ps_approval_state == "not_required")._ps_engine_write(
            {"state": "approved"})
        return True

    def action_open_order(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": "sale.order",
                "res_id": self.order_id.id, "view_mode": "form", "target": "current"}

    def _ps_on_approved(self):
        result = super()._ps_on_approved()
        for overage in self:
            overage.order_id.message_post(body=self.env._(
                "Retainer overage of %(hours)s h (%(used)s%% of %(sold)s h) approved.",
                hours=round(overage.overage_hours, 2), used=round(overage.consumption),
                sold=overage.contracted_hours), subtype_xmlid="mail.mt_note")
        return result

    @api.model
    def _open_for_lines(self, lines):
        """Open (and send for approval) an overage for each retainer line consumed beyond
        its prepaid hours that has none for its current quantity; idempotent."""
        if not lines:
            return self.browse()
        # sudo: the sweep opens overages whoever runs it
        Overage = self.sudo()
        known = {(o.sale_line_id.id, o.contracted_hours) for o in Overage.search_fetch(
            [("sale_line_id", "in", lines.ids)], ["sale_line_id", "contracted_hours"])}
        new = Overage.create([{
            "sale_line_id": line.id, "contracted_hours": line.product_uom_qty,
            "consumed_hours": line.qty_delivered,
        } for line in lines if (line.id, line.product_uom_qty) not in known])
        new.action_submit()
        return new.with_env(self.env)
