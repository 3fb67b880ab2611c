from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    ps_is_subcontractor = fields.Boolean(
        "Subcontractor", tracking=True,
        help="A vendor delivering part of the firm's services. Purchases from "
             "subcontractors are subject to the subcontractor policy (see the module's "
             "USAGE notes: it needs the Purchase app and a bridge module).")
    ps_is_regulated = fields.Boolean(
        "Regulated Client", tracking=True,
        help="A client under regulatory constraints (finance, health, public sector): "
             "subcontracting on its projects needs a legal and security review.")
