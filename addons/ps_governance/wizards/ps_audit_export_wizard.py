import base64
import csv
import io
from datetime import datetime, time, timedelta

from odoo import fields, models
from odoo.exceptions import AccessError, UserError

COLUMNS = ("chain_seq", "logged_at", "user_id", "company_id", "event_type", "res_model",
           "res_id", "res_name", "field_name", "old_value", "new_value", "origin",
           "description", "hash_scheme", "prev_hash", "hash")
BATCH = 5000


class PsAuditExportWizard(models.TransientModel):
    _name = "ps.audit.export.wizard"
    _description = "Export the Audit Trail"

    date_from = fields.Date("From", required=True,
                            default=lambda self: fields.Date.context_today(self).replace(day=1))
    date_to = fields.Date("To", required=True, default=fields.Date.context_today)
    attachment_id = fields.Many2one("ir.attachment", readonly=True)

    def action_export(self):
        """CSV of the audit entries logged in the period (both days included), with
        their hashes so an auditor can check the chain outside Odoo."""
        self.ensure_one()
        if not (self.env.su or self.env.user.has_group("ps_base.group_ps_manager")):
            raise AccessError(self.env._("Only administrators can export the audit trail."))
        if self.date_to < self.date_from:
            raise UserError(self.env._("The period ends before it starts: swap the dates."))
        start = datetime.combine(self.date_from, time.min)
        end = datetime.combine(self.date_to + timedelta(days=1), time.min)
        Log = self.env["ps.audit.log"]
        domain = [("logged_at", ">=", start), ("logged_at", "<", end)]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(COLUMNS)
        last_seq = 0
        count = 0
        while True:
            # the user's companies only (record rules), a batch at a time
            entries = Log.search_fetch(domain + [("chain_seq", ">", last_seq)], list(COLUMNS),
                                       order="chain_seq", limit=BATCH)
            for entry in entries:
                writer.writerow([
                    entry.user_id.login if name == "user_id" else
                    entry.company_id.name if name == "company_id" else
                    fields.Datetime.to_string(entry.logged_at) if name == "logged_at" else
                    entry[name] if entry[name] is not False else ""
                    for name in COLUMNS])
            count += len(entries)
            if len(entries) < BATCH:
                break
            last_seq = entries[-1].chain_seq
        name = f"audit_trail_{self.date_from}_{self.date_to}.csv"
        self.attachment_id = self.env["ir.attachment"].create({
            "name": name, "type": "binary", "mimetype": "text/csv",
            "datas": base64.b64encode(buffer.getvalue().encode()),
            "res_model": self._name, "res_id": self.id,
        })
        Log._log([{"event_type": "event", "res_model": "ps.audit.log", "res_name": name,
                   "description": self.env._("Audit trail exported: %(count)s entries from "
                                             "%(start)s to %(end)s", count=count,
                                             start=self.date_from, end=self.date_to)}])
        return {"type": "ir.actions.act_url", "target": "self",
                "url": f"/web/content/{self.attachment_id.id}?download=true"}
