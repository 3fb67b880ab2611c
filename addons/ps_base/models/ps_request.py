from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

REQUEST_STATES = [("draft", "Draft"), ("submitted", "Submitted"), ("approved", "Approved"),
                  ("rejected", "Rejected"), ("done", "Done"), ("cancelled", "Cancelled")]


class PsRequestCategory(models.Model):
    _name = "ps.request.category"
    _description = "Internal Request Category"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    manager_id = fields.Many2one("res.users", "Category Manager", domain=[("share", "=", False)],
                                 help="Can be used by approval rules as the approver "
                                      "(User field: category_id.manager_id)")
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    description = fields.Text()


class PsRequest(models.Model):
    """An internal request any employee raises and the approval engine routes: a software
    licence, conference travel, a hiring exception. Community's answer to Enterprise
    Approvals' request types, and the simplest approvable document of the suite."""

    _name = "ps.request"
    _description = "Internal Request"
    _inherit = ["mail.thread", "mail.activity.mixin", "ps.approval.mixin", "ps.audit.mixin"]
    _order = "id desc"
    _rec_names_search = ["name", "title"]
    _ps_state_field = "state"
    _ps_approval_guard = {"state": ("approved", "done")}
    _ps_requester_field = "requester_id"
    _ps_state_on_approved = "approved"
    _ps_state_on_rejected = "rejected"
    _ps_audit_fields = ("title", "amount", "category_id", "state", "requester_id")

    name = fields.Char("Reference", required=True, readonly=True, copy=False, default="/")
    title = fields.Char(required=True, tracking=True)
    category_id = fields.Many2one("ps.request.category", tracking=True, index=True)
    requester_id = fields.Many2one("res.users", required=True, tracking=True,
                                   default=lambda self: self.env.user, index=True)
    company_id = fields.Many2one("res.company", required=True, index=True,
                                 default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary(tracking=True)
    date_needed = fields.Date("Needed By")
    description = fields.Html()
    state = fields.Selection(REQUEST_STATES, default="draft", required=True, tracking=True,
                             index=True, copy=False)

    @api.depends("name", "title")
    def _compute_display_name(self):
        for request in self:
            request.display_name = f"{request.name} · {request.title}" if request.title \
                else request.name

    @api.constrains("amount")
    def _check_amount(self):
        for request in self:
            if request.amount < 0:
                raise ValidationError(self.env._(
                    "%s: the amount of a request cannot be negative.", request.title))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("ps.request") or "/"
        return super().create(vals_list)

    def action_submit(self):
        if self.filtered(lambda r: r.state not in ("draft", "rejected")):
            raise UserError(self.env._("Only draft or rejected requests can be submitted."))
        self.write({"state": "submitted"})
        self.env["ps.approval.request"]._request_for(self)
        # nothing to approve: the request is approved at once
        self.filtered(lambda r: r.ps_approval_state == "not_required").write(
            {"state": "approved"})
        return True

    def action_done(self):
        if self.filtered(lambda r: r.state != "approved"):
            raise UserError(self.env._("Only approved requests can be marked done."))
        self.write({"state": "done"})

    def action_cancel(self):
        if self.filtered(lambda r: r.state == "done"):
            raise UserError(self.env._("A request that is done cannot be cancelled."))
        self.check_access("write")
        self.sudo().ps_approval_request_ids._cancel(self.env._("the request was cancelled"))
        self.write({"state": "cancelled"})

    def action_draft(self):
        if self.filtered(lambda r: r.state not in ("rejected", "cancelled")):
            raise UserError(self.env._("Only rejected or cancelled requests go back to "
                                       "draft."))
        self.write({"state": "draft"})

    def _ps_reapproval_scope(self):
        # until it is done, a request is carried out for the values that were approved
        return self.filtered(lambda r: r.state in ("draft", "submitted", "approved",
                                                   "rejected"))
