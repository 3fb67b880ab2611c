from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .policy import POLICY_PARAMS, policy_value

# Settings that are the threshold of a shipped rule: the rule is the single place the value
# lives, so that editing the rule or the setting is the same thing.
RULE_THRESHOLDS = {
    "ps_quote_finance_amount": "ps_approvals.rule_quote_large",
    "ps_budget_change_percent": "ps_approvals.rule_budget_change",
    "ps_expense_finance_amount": "ps_approvals.rule_expense_finance",
    "ps_credit_note_amount": "ps_approvals.rule_credit_note_large",
}
LOCK_PARAM = "ps_approvals.lock_confirmed_orders"
# Settings kept as system parameters whose 0 means something (every change needs a change
# order): written as they are, where config_parameter would delete a 0 (and so restore the
# default)
EXPLICIT_PARAMS = {
    "ps_direct_change_amount": "ps_approvals.direct_change_amount",
    "ps_direct_change_percent": "ps_approvals.direct_change_percent",
}


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    ps_quote_discount_threshold = fields.Float(
        "Quote Discount Threshold (%)", default=15.0,
        config_parameter="ps_approvals.quote_discount_threshold",
        help="Confirming a quote with a line discounted above this needs the sales manager")
    ps_quote_margin_floor = fields.Float(
        "Quote Margin Floor (%)", default=20.0,
        config_parameter="ps_approvals.quote_margin_floor",
        help="Confirming a quote whose margin is below this needs the sales manager; 0 "
             "only catches quotes sold at a loss")
    ps_quote_finance_amount = fields.Float(
        "Large Quote Amount",
        help="Confirming a quote above this untaxed amount (company currency) needs the "
             "sales manager, then finance")
    ps_lock_confirmed_orders = fields.Boolean(
        "Amend Confirmed Orders through Change Orders",
        help="Changes of quantities, prices and lines of a confirmed order made by hand "
             "apply directly, audited, up to the limits below; above, they go through an "
             "approved change order. Odoo's own flows (re-invoicing, down payments, "
             "delivered quantities) are never held")
    ps_direct_change_amount = fields.Float(
        "Direct Changes up to",
        help="Total of the changes a confirmed order may take directly (company currency, "
             "each change counted as its absolute amount); 0 sends every change that moves "
             "the amount through a change order")
    ps_direct_change_percent = fields.Float(
        "Direct Changes up to (% of the order)",
        help="The same total, as a share of the order's untaxed amount")
    ps_budget_change_percent = fields.Float(
        "Budget Change Threshold (% of original)",
        help="A project budget change larger than this share of the original budget needs "
             "the delivery lead, then finance")
    ps_expense_receipt_threshold = fields.Float(
        "Receipt Required Above", default=0.0,
        config_parameter="ps_approvals.expense_receipt_threshold",
        help="An expense above this amount without a receipt needs the employee's manager; "
             "0 asks a receipt for every expense")
    ps_expense_finance_amount = fields.Float(
        "Expense Report Finance Amount",
        help="An expense report above this total needs the employee's manager, then "
             "finance")
    ps_credit_note_amount = fields.Float(
        "Large Credit Note Amount",
        help="Every credit note and write-off needs finance; above this amount (company "
             "currency) the finance controller and an administrator as well")

    @api.constrains("ps_quote_discount_threshold", "ps_quote_margin_floor",
                    "ps_quote_finance_amount", "ps_budget_change_percent",
                    "ps_expense_receipt_threshold", "ps_expense_finance_amount",
                    "ps_credit_note_amount", "ps_direct_change_amount",
                    "ps_direct_change_percent")
    def _check_ps_approval_thresholds(self):
        labels = {name: self._fields[name].string for name in (
            "ps_quote_discount_threshold", "ps_quote_margin_floor", "ps_quote_finance_amount",
            "ps_budget_change_percent", "ps_expense_receipt_threshold",
            "ps_expense_finance_amount", "ps_credit_note_amount",
            "ps_direct_change_amount", "ps_direct_change_percent")}
        for settings in self:
            negative = [label for name, label in labels.items() if settings[name] < 0]
            if negative:
                raise ValidationError(self.env._(
                    "Approval thresholds cannot be negative: %s. Use 0 to require approval "
                    "for every document of the policy.", ", ".join(negative)))
            for name in ("ps_quote_discount_threshold", "ps_quote_margin_floor",
                         "ps_direct_change_percent"):
                if settings[name] > 100:
                    raise ValidationError(self.env._(
                        "%s is a percentage: give a value between 0 and 100.", labels[name]))

    @api.model
    def get_values(self):
        res = super().get_values()
        for fname, xmlid in RULE_THRESHOLDS.items():
            rule = self.env.ref(xmlid, raise_if_not_found=False)
            res[fname] = rule.sudo().amount_threshold if rule else 0.0
        param = self.env["ir.config_parameter"].sudo().get_param(LOCK_PARAM, "True")
        res["ps_lock_confirmed_orders"] = param not in ("False", "0", "")
        for fname, key in EXPLICIT_PARAMS.items():
            res[fname] = policy_value(self.env, key)
        return res

    def set_values(self):
        params = self.env["ir.config_parameter"].sudo()
        before = {key: params.get_param(key) or "" for key in (*POLICY_PARAMS, LOCK_PARAM)}
        result = super().set_values()
        for fname, xmlid in RULE_THRESHOLDS.items():
            rule = self.env.ref(xmlid, raise_if_not_found=False)
            # the rule's own audit trail records the change
            if rule and rule.sudo().amount_threshold != self[fname]:
                rule.sudo().amount_threshold = self[fname]
        params.set_param(LOCK_PARAM, "True" if self.ps_lock_confirmed_orders else "False")
        for fname, key in EXPLICIT_PARAMS.items():
            params.set_param(key, repr(self[fname]))
        entries = []
        for key, old in before.items():
            new = params.get_param(key) or ""
            if new != old:
                entries.append({"event_type": "settings", "res_model": "ir.config_parameter",
                                "res_name": key, "field_name": key, "old_value": old,
                                "new_value": new,
                                "description": self.env._("Setting changed: %s", key)})
        self.env["ps.audit.log"]._log(entries)
        return result

    def action_ps_open_policies(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "ps_approvals.ps_approval_rule_action_policies")

    def action_ps_open_expense_categories(self):
        return {"type": "ir.actions.act_window", "res_model": "product.category",
                "name": self.env._("Expense Policy per Category"), "view_mode": "list,form",
                "views": [(self.env.ref("ps_approvals.product_category_view_list_policy").id,
                           "list"), (False, "form")]}
