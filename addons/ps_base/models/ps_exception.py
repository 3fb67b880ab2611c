from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

OPEN_STATES = ("new", "in_progress")
SEVERITIES = [("info", "Info"), ("warning", "Warning"), ("critical", "Critical")]
STATES = [("new", "New"), ("in_progress", "In Progress"), ("resolved", "Resolved"),
          ("ignored", "Ignored")]


class PsException(models.Model):
    """One thing that went wrong in a hand-off, found by a sweep or raised by a workflow:
    what failed, on which record, who owns it, how often it was retried and how it ended.

    Sweeps raise exceptions through ``_raise_exceptions``, which is idempotent on ``key``:
    an open exception with the same key is counted again (attempts + 1) instead of
    duplicated, so a sweep rerun after a crash creates nothing twice.

    Who does what: a consultant sees their own exceptions and the unassigned ones, takes
    an unassigned one (it becomes theirs), then resolves, ignores or reopens it; of an
    exception they own they may only edit the resolution. Everything else (state, owner,
    severity, what was found) is kept by the sweeps and the actions below, or changed by
    an administrator (group_ps_manager). The actions check this and then write as
    superuser; ``write`` refuses the same fields to everyone else, whatever the client.
    """

    _name = "ps.exception"
    _description = "Workflow Exception"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "state_sequence, severity_sequence desc, id desc"

    name = fields.Char("Summary", required=True, tracking=True)
    key = fields.Char(
        "Deduplication Key", index=True, copy=False,
        help="Identifies the failure: while an exception with this key is open, raising "
             "it again only counts one more attempt.")
    kind = fields.Char(index=True, help="Machine-readable kind, e.g. missing_timesheet")
    source = fields.Char("Raised By", help="Sweep, rule or process that found the problem")
    res_model = fields.Char("Model", index=True)
    res_id = fields.Many2oneReference("Record ID", model_field="res_model")
    res_name = fields.Char("Record")
    severity = fields.Selection(SEVERITIES, default="warning", required=True, tracking=True)
    severity_sequence = fields.Integer(compute="_compute_sequences", store=True)
    state = fields.Selection(STATES, default="new", required=True, index=True, tracking=True)
    state_sequence = fields.Integer(compute="_compute_sequences", store=True)
    owner_id = fields.Many2one("res.users", index=True, tracking=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company,
                                 required=True, index=True)
    attempts = fields.Integer(default=1, help="How many times the problem was found or retried")
    last_seen = fields.Datetime(default=fields.Datetime.now)
    details = fields.Text()
    resolution = fields.Text()
    resolved_by_id = fields.Many2one("res.users", readonly=True)
    resolved_date = fields.Datetime(readonly=True)
    ps_can_act = fields.Boolean(
        "Can Act", compute="_compute_ps_can_act",
        help="The current user owns this exception or is an administrator")

    _sql_constraints = [
        ("attempts_positive", "CHECK(attempts >= 0)", "Attempts cannot be negative."),
    ]

    @api.depends("state", "severity")
    def _compute_sequences(self):
        state_order = {"new": 1, "in_progress": 2, "resolved": 3, "ignored": 4}
        severity_order = {"info": 1, "warning": 2, "critical": 3}
        for exc in self:
            exc.state_sequence = state_order.get(exc.state, 9)
            exc.severity_sequence = severity_order.get(exc.severity, 0)

    @api.depends("owner_id")
    @api.depends_context("uid")
    def _compute_ps_can_act(self):
        manager = self._ps_is_manager()
        for exc in self:
            exc.ps_can_act = manager or exc.owner_id == self.env.user

    def init(self):
        # at most one open exception per key: the base of the sweeps' idempotency
        self.env.cr.execute("""
            CREATE UNIQUE INDEX IF NOT EXISTS ps_exception_open_key_uniq
            ON ps_exception (key) WHERE state IN ('new', 'in_progress') AND key IS NOT NULL
        """)

    def write(self, vals):
        if not self._ps_is_manager():
            # the UI's readonly attributes are no gate: a client can send any field
            kept = set(vals) - self._ps_owner_writable_fields()
            if kept:
                raise AccessError(self.env._(
                    "Only administrators can change %(fields)s of an exception; take it, "
                    "then resolve, ignore or reopen it with its buttons.",
                    fields=", ".join(sorted(self._fields[f].string for f in kept
                                            if f in self._fields))))
            self._ps_check_owner()
        return super().write(vals)

    def action_open_record(self):
        self.ensure_one()
        if not self.res_model or not self.res_id:
            raise UserError(self.env._("This exception is not attached to a record."))
        return {"type": "ir.actions.act_window", "res_model": self.res_model,
                "res_id": self.res_id, "view_mode": "form", "target": "current"}

    def action_take(self):
        """Assign open exceptions to the current user: unassigned ones for a consultant,
        any for an administrator."""
        self.check_access("read")
        if not self._ps_is_manager():
            taken = self.filtered(lambda e: e.owner_id and e.owner_id != self.env.user)
            if taken:
                raise AccessError(self.env._(
                    "These exceptions already have an owner: %s",
                    ", ".join(taken.mapped("name"))))
        self._ps_check_open()
        # sudo: a consultant cannot write on an unassigned exception; taking it is the one
        # change allowed, checked above
        self.sudo().write({"owner_id": self.env.uid, "state": "in_progress"})

    def action_resolve(self):
        self._ps_check_owner()
        self._ps_check_open()
        missing = self.filtered(lambda e: not e.resolution)
        if missing:
            raise UserError(self.env._(
                "Say how the problem was solved in 'Resolution' before resolving: %s",
                ", ".join(missing.mapped("name"))))
        # sudo: state and resolver are kept by the actions only; rights checked above
        self.sudo().write({"state": "resolved", "resolved_by_id": self.env.uid,
                           "resolved_date": fields.Datetime.now()})

    def action_ignore(self):
        self._ps_check_owner()
        self._ps_check_open()
        # sudo: state and resolver are kept by the actions only; rights checked above
        self.sudo().write({"state": "ignored", "resolved_by_id": self.env.uid,
                           "resolved_date": fields.Datetime.now()})

    def action_reopen(self):
        self._ps_check_owner()
        still_open = self.filtered(lambda e: e.state in OPEN_STATES)
        if still_open:
            raise UserError(self.env._("These exceptions are still open: %s",
                                       ", ".join(still_open.mapped("name"))))
        keys = [key for key in self.mapped("key") if key]
        # sudo: the open duplicate may belong to someone else; only its existence matters
        # (the unique index on open keys would refuse the reopening anyway)
        if keys and self.sudo().search_count([("key", "in", keys),
                                              ("state", "in", OPEN_STATES)], limit=1):
            raise UserError(self.env._(
                "The same problem was raised again and is open in another exception: work "
                "on that one instead."))
        # sudo: state and resolver are kept by the actions only; rights checked above
        self.sudo().write({"state": "new", "resolved_by_id": False, "resolved_date": False})

    def _ps_is_manager(self):
        return self.env.su or self.env.user.has_group("ps_base.group_ps_manager")

    def _ps_owner_writable_fields(self):
        """What the owner of an exception may write: the resolution, and the chatter's
        fields (followers, activities), which the mail module guards itself."""
        mixins = self.env["mail.thread"]._fields.keys() | self.env["mail.activity.mixin"]._fields
        return {"resolution"} | (mixins - {"id", "display_name"})

    def _ps_check_owner(self):
        """Only the owner of an exception, or an administrator, acts on it."""
        self.check_access("read")
        if self._ps_is_manager():
            return
        others = self.filtered(lambda e: e.owner_id != self.env.user)
        if others:
            raise AccessError(self.env._(
                "Only the owner of an exception or an administrator can act on it; take it "
                "first if it is unassigned: %s", ", ".join(others.mapped("name"))))

    def _ps_check_open(self):
        closed = self.filtered(lambda e: e.state not in OPEN_STATES)
        if closed:
            raise UserError(self.env._("These exceptions are already closed: %s",
                                       ", ".join(closed.mapped("name"))))

    @api.model
    def _raise_exceptions(self, vals_list):
        """Create or re-count exceptions in one batch. Each vals needs ``name`` and
        should carry a ``key``; an open exception with the same key gets attempts + 1,
        fresh details and last_seen instead of a duplicate. Returns all exceptions
        concerned."""
        keyed = {vals["key"]: vals for vals in vals_list if vals.get("key")}
        existing = self.sudo().search([("key", "in", list(keyed)),
                                       ("state", "in", ("new", "in_progress"))])
        now = fields.Datetime.now()
        # a problem found again and again turns critical (Settings: attempts before critical)
        max_attempts = int(self.env["ir.config_parameter"].sudo().get_param(
            "ps_base.exception_max_attempts", 5) or 5)
        for exc in existing:
            vals = keyed.pop(exc.key)
            attempts = exc.attempts + 1
            exc.write({"attempts": attempts, "last_seen": now,
                       "details": vals.get("details", exc.details),
                       "severity": "critical" if attempts >= max_attempts
                       else vals.get("severity", exc.severity)})
        new_vals = [vals for vals in vals_list if not vals.get("key") or vals["key"] in keyed]
        # sudo: sweeps run as any user (or the cron user) and must record what they find,
        # whatever that user's own rights on the exception queue
        created = self.sudo().create(new_vals) if new_vals else self.sudo()
        return (existing | created).with_env(self.env)
