from odoo import api, fields, models


class PsTestApprovable(models.Model):
    """The smallest document a workflow addon would gate: a few declarations."""

    _name = "ps.test.approvable"
    _description = "Test Approvable Document"
    _inherit = ["mail.thread", "ps.approval.mixin"]
    _ps_state_field = "state"
    _ps_gated_actions = {"action_confirm": "confirmed"}
    _ps_requester_field = "user_id"

    name = fields.Char(required=True)
    user_id = fields.Many2one("res.users", default=lambda self: self.env.user)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    state = fields.Selection([("draft", "Draft"), ("confirmed", "Confirmed")],
                             default="draft", required=True)
    line_ids = fields.One2many("ps.test.approvable.line", "document_id")
    amount_total = fields.Float(compute="_compute_amount_total", store=True)
    confirmed_by_id = fields.Many2one("res.users", readonly=True)

    @api.depends("line_ids.subtotal")
    def _compute_amount_total(self):
        for document in self:
            document.amount_total = sum(document.line_ids.mapped("subtotal"))

    def action_confirm(self):
        self.write({"state": "confirmed", "confirmed_by_id": self.env.uid})
        return True


class PsTestApprovableLine(models.Model):
    _name = "ps.test.approvable.line"
    _description = "Test Approvable Document Line"

    document_id = fields.Many2one("ps.test.approvable", required=True, ondelete="cascade")
    quantity = fields.Float()
    price = fields.Float()
    subtotal = fields.Float(compute="_compute_subtotal", store=True)

    @api.depends("quantity", "price")
    def _compute_subtotal(self):
        for line in self:
            line.subtotal = line.quantity * line.price
