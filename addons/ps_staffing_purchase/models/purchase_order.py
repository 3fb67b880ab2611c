from odoo import api, fields, models


class PurchaseOrder(models.Model):
    """Purchase orders become approvable by declaration: confirming one (``button_confirm``,
    or ``button_approve``, Odoo's second step and a public method of its own) goes through
    ps_base's engine where a rule applies, and the state ``purchase`` is refused without the
    approval whatever the door. The default rules (data/ps_approval_rule_data.xml) apply to
    subcontractor vendors only: plain purchases are never held."""

    _name = "purchase.order"
    _inherit = ["purchase.order", "ps.approval.mixin"]
    _ps_state_field = "state"
    _ps_gated_actions = {"button_confirm": "purchase", "button_approve": "purchase"}
    _ps_requester_field = "user_id"
    _ps_fact_fields = ("ps_vendor_subcontractor", "ps_regulated_customer",
                       "ps_regulated_customer_id", "ps_amount_untaxed_company")

    ps_vendor_subcontractor = fields.Boolean(
        "Subcontractor Vendor", compute="_compute_ps_vendor_subcontractor", store=True,
        help="The vendor (its company) is flagged as a subcontractor")
    ps_customer_ids = fields.Many2many(
        "res.partner", string="Clients Served", compute="_compute_ps_customer_ids",
        help="The clients this purchase serves: the customer of the order's project, of the "
             "projects its lines are charged to (analytic distribution), and of the sales "
             "orders its lines were bought for")
    ps_regulated_customer_id = fields.Many2one(
        "res.partner", "Regulated Client", compute="_compute_ps_customers", store=True,
        help="A regulated client among the clients served (the first one)")
    ps_regulated_customer = fields.Boolean(
        "For a Regulated Client", compute="_compute_ps_customers", store=True)
    ps_amount_untaxed_company = fields.Monetary(
        "Untaxed Amount (Company Currency)", compute="_compute_ps_amount_untaxed_company",
        store=True, currency_field="company_currency_id")

    @api.depends("partner_id.commercial_partner_id.ps_is_subcontractor")
    def _compute_ps_vendor_subcontractor(self):
        for order in self:
            order.ps_vendor_subcontractor = \
                order.partner_id.commercial_partner_id.ps_is_subcontractor

    @api.depends(lambda self: self._ps_customer_depends())
    def _compute_ps_customer_ids(self):
        projects_by_account = self._ps_projects_by_account()
        for order in self:
            order.ps_customer_ids = order._ps_customers(projects_by_account)

    @api.depends(lambda self: self._ps_customer_depends())
    def _compute_ps_customers(self):
        projects_by_account = self._ps_projects_by_account()
        for order in self:
            regulated = order._ps_customers(projects_by_account).filtered("ps_is_regulated")
            order.ps_regulated_customer_id = regulated[:1]
            order.ps_regulated_customer = bool(regulated)

    @api.model
    def _ps_customer_depends(self):
        depends = ["project_id.partner_id.commercial_partner_id.ps_is_regulated",
                   "order_line.analytic_distribution"]
        if "sale_line_id" in self.env["purchase.order.line"]._fields:  # sale_purchase
            depends.append("order_line.sale_line_id.order_id.partner_id.commercial_partner_id"
                           ".ps_is_regulated")
        return depends

    def _ps_projects_by_account(self):
        """{analytic account id: projects charged to it}, for the accounts of the lines'
        analytic distributions, in one search."""
        account_ids = {int(key) for line in self.order_line
                       for keys in (line.analytic_distribution or {})
                       for key in str(keys).split(",") if key.isdigit()}
        result = {}
        if account_ids:
            # sudo: the client served decides the review, whoever may read the projects
            for project in self.env["project.project"].sudo().with_context(
                    active_test=False).search_fetch(
                    [("account_id", "in", list(account_ids))], ["account_id", "partner_id"]):
                result.setdefault(project.account_id.id, project.browse())
                result[project.account_id.id] |= project
        return result

    def _ps_customers(self, projects_by_account):
        """The clients (commercial partners) this order serves. The order's project
        (project_purchase) and the projects its lines are charged to are the robust links,
        kept on the order whoever creates it; the sales order a line was bought for
        (sale_purchase, when installed) adds its customer."""
        self.ensure_one()
        # sudo: read the links as they are, whoever may read projects and sales orders
        order = self.sudo()
        projects = order.project_id
        for line in order.order_line:
            for keys in line.analytic_distribution or {}:
                for key in str(keys).split(","):
                    if key.isdigit():
                        projects |= projects_by_account.get(int(key), projects.browse())
        partners = projects.partner_id
        if "sale_line_id" in order.order_line._fields:
            partners |= order.order_line.sale_line_id.order_id.partner_id
        return partners.commercial_partner_id.with_env(self.env)

    @api.depends("amount_untaxed", "currency_rate")
    def _compute_ps_amount_untaxed_company(self):
        for order in self:
            order.ps_amount_untaxed_company = order.amount_untaxed / order.currency_rate \
                if order.currency_rate else order.amount_untaxed

    def _ps_reapproval_scope(self):
        # the approval governs the way to 'purchase' (Odoo's second approval, 'to approve',
        # included); a confirmed order is past it (Odoo's bill-to-PO wizard confirms it
        # again, which does nothing more)
        return self.filtered(lambda order: order.state in ("draft", "sent", "to approve"))

    def _ps_action_label(self, action):
        if action in ("button_confirm", "button_approve"):
            return self.env._("Confirmation")
        return super()._ps_action_label(action)
