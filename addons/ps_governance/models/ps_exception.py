from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .ps_webhook_endpoint import get_param

AGE_BUCKETS = [("0_1", "Less than a day"), ("1_3", "1 to 3 days"), ("3_7", "3 to 7 days"),
               ("7_30", "1 to 4 weeks"), ("30", "Over 4 weeks")]
OPEN = ("new", "in_progress")


class PsException(models.Model):
    _inherit = "ps.exception"

    # methods inbound webhooks may call (ps.webhook.action), with the caller's user
    _ps_inbound_actions = ("_ps_inbound_resolve",)

    age_days = fields.Integer("Age (days)", compute="_compute_age_days",
                              help="Days since the exception was first raised")
    age_bucket = fields.Selection(AGE_BUCKETS, "Age", readonly=True, index=True,
                                  help="Refreshed every day by the aging scheduled action")
    aging_alerted_at = fields.Datetime("Aging Alert Sent", readonly=True, copy=False)

    @api.depends("create_date")
    def _compute_age_days(self):
        now = fields.Datetime.now()
        for exc in self:
            exc.age_days = (now - exc.create_date).days if exc.create_date else 0

    # ------------------------------------------------------------------
    # Aging
    # ------------------------------------------------------------------
    @api.model
    def _cron_aging(self, batch_size=500):
        """Refresh the age of the open exceptions (one statement), then give the owners of
        those open longer than the Settings' days an activity, once, one batch a call."""
        self.env.flush_all()
        self.env.cr.execute(SQL("""
            UPDATE ps_exception SET age_bucket = b.bucket
            FROM (SELECT id, CASE WHEN age < interval '1 day' THEN '0_1'
                                  WHEN age < interval '3 days' THEN '1_3'
                                  WHEN age < interval '7 days' THEN '3_7'
                                  WHEN age < interval '30 days' THEN '7_30'
                                  ELSE '30' END AS bucket
                  FROM (SELECT id, %s - create_date AS age FROM ps_exception
                        WHERE state IN %s) a) b
            WHERE b.id = ps_exception.id AND ps_exception.age_bucket IS DISTINCT FROM b.bucket
        """, fields.Datetime.now(), OPEN))
        self.invalidate_model(["age_bucket"])
        domain = self._ps_aging_domain()
        batch = self.sudo().search(domain, limit=batch_size)
        batch._ps_schedule_activities(
            self.env.ref("ps_governance.mail_activity_type_exception_aging"),
            lambda exc: self.env._("Open for %(days)s days: %(name)s", days=exc.age_days,
                                   name=exc.name))
        batch.write({"aging_alerted_at": fields.Datetime.now()})
        self.env["ir.cron"]._notify_progress(done=len(batch),
                                             remaining=self.sudo().search_count(domain))
        return batch

    @api.model
    def _ps_aging_domain(self):
        days = int(get_param(self.env, "exception_aging_days", 3))
        return [("state", "in", OPEN), ("owner_id", "!=", False),
                ("aging_alerted_at", "=", False),
                ("create_date", "<", fields.Datetime.now() - timedelta(days=days))]

    def _ps_schedule_activities(self, activity_type, summary):
        """One activity per exception for its owner, created in one batch."""
        if not self:
            return
        model_id = self.env["ir.model"]._get_id(self._name)
        deadline = fields.Date.context_today(self)
        self.env["mail.activity"].sudo().create([{
            "res_model_id": model_id, "res_id": exc.id, "user_id": exc.owner_id.id,
            "activity_type_id": activity_type.id, "summary": summary(exc)[:200],
            "date_deadline": deadline,
        } for exc in self if exc.owner_id])

    # ------------------------------------------------------------------
    # Bulk operations (server actions open ps.exception.bulk.wizard)
    # ------------------------------------------------------------------
    def _ps_bulk_assign(self, owner):
        """Give open exceptions to ``owner``, with an activity; administrators only
        (``write`` refuses the owner field to everyone else)."""
        self._ps_check_open()
        self.write({"owner_id": owner.id, "state": "in_progress", "aging_alerted_at": False})
        self._ps_schedule_activities(
            self.env.ref("ps_governance.mail_activity_type_exception_assigned"),
            lambda exc: self.env._("Exception assigned to you: %s", exc.name))

    def _ps_bulk_close(self, reason, resolve=True):
        if not reason:
            raise UserError(self.env._("Give the reason, it is kept on each exception."))
        self._ps_check_owner()
        self._ps_check_open()
        self.write({"resolution": reason})
        return self.action_resolve() if resolve else self.action_ignore()

    def _ps_bulk_retry(self):
        """Ask the source of each exception to try again (e.g. redeliver a dead-lettered
        webhook): models that can retry define ``_ps_exception_retry(exceptions)``."""
        self._ps_check_owner()
        self._ps_check_open()
        cannot = self.filtered(lambda e: not e.res_model or e.res_model not in self.env
                               or not hasattr(self.env[e.res_model], "_ps_exception_retry"))
        if cannot:
            raise UserError(self.env._(
                "Nothing can retry these exceptions automatically; fix the cause, then "
                "resolve them: %s", ", ".join(cannot.mapped("name"))))
        for res_model in set(self.mapped("res_model")):
            exceptions = self.filtered(lambda e, m=res_model: e.res_model == m)
            records = self.env[res_model].browse(exceptions.mapped("res_id")).exists()
            records._ps_exception_retry(exceptions)
        # sudo: state and attempts are kept by the actions; rights checked above
        for exc in self.sudo():
            exc.write({"state": "in_progress", "attempts": exc.attempts + 1,
                       "last_seen": fields.Datetime.now()})

    # ------------------------------------------------------------------
    # Inbound webhook action
    # ------------------------------------------------------------------
    @api.model
    def _ps_inbound_resolve(self, params):
        """Resolve an exception from an outside tool: params ``id`` or ``key``, and
        ``resolution``. Runs with the caller's user: its rights decide."""
        resolution = params.get("resolution")
        if not resolution or not isinstance(resolution, str):
            raise UserError(self.env._("Say how the problem was solved in 'resolution'."))
        if params.get("id"):
            exception = self.browse(int(params["id"])).exists()
        elif params.get("key"):
            exception = self.search([("key", "=", str(params["key"])),
                                     ("state", "in", OPEN)], limit=1)
        else:
            raise UserError(self.env._("Give the exception's 'id' or 'key'."))
        if not exception:
            raise UserError(self.env._("No such open exception."))
        exception.write({"resolution": resolution})
        exception.action_resolve()
        return {"id": exception.id, "state": exception.state}
