import json
import uuid

from odoo import api, fields, models

EVENT_STATES = [("pending", "Pending"), ("sent", "Delivered"), ("failed", "Failed, will retry"),
                ("dead", "Dead letter"), ("skipped", "No subscriber")]


class PsEvent(models.Model):
    """Transactional outbox: one row per business event, written in the same transaction
    as the change it reports, so an event exists if and only if the change committed.
    ps_governance delivers the rows (signed webhooks, retries, dead letter)."""

    _name = "ps.event"
    _description = "Business Event"
    _order = "id desc"
    _rec_name = "event_type"

    event_type = fields.Char("Event", required=True, index=True, readonly=True)
    res_model = fields.Char("Model", index=True, readonly=True)
    res_id = fields.Many2oneReference("Record ID", model_field="res_model", readonly=True)
    res_name = fields.Char("Record", readonly=True)
    payload = fields.Text(readonly=True, help="JSON body of the event")
    idempotency_key = fields.Char(required=True, readonly=True, copy=False,
                                  default=lambda self: str(uuid.uuid4()))
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True,
                                 default=lambda self: self.env.company)
    user_id = fields.Many2one("res.users", "Caused By", readonly=True,
                              default=lambda self: self.env.uid)
    state = fields.Selection(EVENT_STATES, default="pending", required=True, index=True)
    attempts = fields.Integer(default=0)
    next_attempt = fields.Datetime(index=True)
    last_error = fields.Text()

    _sql_constraints = [
        ("idempotency_key_uniq", "UNIQUE(idempotency_key)",
         "Each event has its own idempotency key."),
    ]

    @api.model
    def _emit(self, event_type, records, payloads=None):
        """Write one outbox row per record (or one without record when ``records`` is
        empty and ``payloads`` holds one dict). ``payloads``: dict record id -> dict,
        merged into the generic payload."""
        payloads = payloads or {}
        vals_list = []
        for record in records:
            company = record["company_id"] if "company_id" in record._fields else False
            body = {"event": event_type, "model": record._name, "id": record.id,
                    "name": record.display_name, **payloads.get(record.id, {})}
            vals_list.append({
                "event_type": event_type, "res_model": record._name, "res_id": record.id,
                "res_name": record.display_name, "company_id": (company or self.env.company).id,
                "payload": json.dumps(body, default=str),
            })
        if not records and payloads:
            vals_list.append({"event_type": event_type,
                              "payload": json.dumps({"event": event_type, **payloads},
                                                    default=str)})
        # sudo: any user whose action causes an event writes it; reading and delivering
        # events stays with administrators
        return self.sudo().create(vals_list).with_env(self.env)
