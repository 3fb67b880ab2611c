from odoo import fields, models


class AccountAccount(models.Model):
    _inherit = "account.account"

    ps_is_write_off = fields.Boolean(
        "Write-off Account",
        help="Journal entries booked on this account are write-offs: posting them needs "
             "the approval of finance (policy 'Credit notes and write-offs')")
