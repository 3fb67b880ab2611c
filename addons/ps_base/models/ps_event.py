import json
import uuid

from odoo import api, fields, models

from .bulk import bulk_insert

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
        """Write one outbox row per record. ``payloads``: dict record id -> dict, merged
        into the generic payload."""
        payloads = payloads or {}
        return self._emit_rows(event_type, [{
            "res_model": record._name, "res_id": record.id, "res_name": record.display_name,
            "company_id": (record["company_id"] if "company_id" in record._fields
                           else False) or self.env.company,
            "payload": payloads.get(record.id, {}),
        } for record in records])

    @api.model
    def _emit_rows(self, event_type, rows):
        """Write outbox rows from values at hand, without loading the documents: each row
        has res_model, res_id, res_name, company_id (a record or an id) and payload (a
        dict merged into the generic body). Rows are bulk-inserted (see bulk.py): events
        come by the thousand with approval requests. Returns the events."""
        vals_list = []
        for row in rows:
            company = row.get("company_id") or self.env.company
            body = {"event": event_type, "model": row["res_model"], "id": row["res_id"],
                    "name": row["res_name"], **row.get("payload", {})}
            vals_list.append({
                "event_type": event_type, "res_model": row["res_model"],
                "res_id": row["res_id"], "res_name": row["res_name"],
                "company_id": company if isinstance(company, int) else company.id,
                "user_id": self.env.uid, "state": "pending", "attempts": 0,
                "idempotency_key": str(uuid.uuid4()),
                "payload": json.dumps(body, default=str),
            })
        # sudo: any user whose action causes an event writes it; reading and delivering
        # events stays with administrators
        return self.sudo().browse(bulk_insert(self.env, "ps.event", vals_list)) \
            .with_env(self.env)
