from odoo import fields, models


class PsEvent(models.Model):
    _inherit = "ps.event"

    ps_dispatched = fields.Boolean(
        "Fanned Out", default=False, readonly=True, copy=False,
        help="The webhook dispatcher has created one delivery per subscribed endpoint")
    ps_delivery_ids = fields.One2many("ps.webhook.delivery", "event_id", "Deliveries",
                                      readonly=True)

    def init(self):
        # the dispatcher reads the events not yet fanned out, oldest first: a small
        # partial index instead of a scan of the whole outbox
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS ps_event_ps_undispatched_idx
            ON ps_event (id) WHERE ps_dispatched IS NOT TRUE
        """)
