import hashlib
import hmac
import inspect
import json
import logging
import secrets
import time

from psycopg2 import IntegrityError

from odoo import api, fields, models
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError

from .ps_webhook_endpoint import get_param

_logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
MAX_LOGGED = 4000


def inbound_methods(model):
    """The methods a model offers to inbound webhooks: every ``_ps_inbound_actions`` of the
    classes it is made of, so that two addons extending one model each add theirs."""
    methods = set()
    for cls in type(model).__mro__:
        methods.update(cls.__dict__.get("_ps_inbound_actions", ()))
    return methods

class InboundRefused(Exception):
    """An inbound call refused with an HTTP status and a reason for the caller."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class PsWebhookAction(models.Model):
    """What an outside tool may ask the suite to do: a method of a model that the model
    itself lists in ``_ps_inbound_actions``. Nothing else can be called."""

    _name = "ps.webhook.action"
    _description = "Inbound Webhook Action"
    _order = "code"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="What the caller sends as 'action', e.g. "
                                           "exception.resolve")
    model = fields.Char("Target Model", required=True)
    method = fields.Char(required=True,
                         help="Method of the target model, listed in its _ps_inbound_actions")
    description = fields.Text(help="Parameters the action expects")
    active = fields.Boolean(default=True)

    _sql_constraints = [("code_uniq", "UNIQUE(code)", "Each action has its own code.")]

    @api.constrains("model", "method")
    def _check_allowlisted(self):
        for action in self:
            action._ps_target()

    def _ps_target(self):
        """The model and method of the action, refused unless the model allowlists it."""
        self.ensure_one()
        if self.model not in self.env:
            raise ValidationError(self.env._(
                "Action %(code)s: model %(model)s is not installed.",
                code=self.code, model=self.model))
        model = self.env[self.model]
        if self.method not in inbound_methods(model):
            raise ValidationError(self.env._(
                "Action %(code)s: %(model)s does not offer %(method)s to inbound webhooks "
                "(it must be listed in the model's _ps_inbound_actions).",
                code=self.code, model=self.model, method=self.method))
        return model, self.method

    @api.model
    def _ps_offered(self):
        """(model, method, docstring) of every method the installed models offer to inbound
        webhooks in their ``_ps_inbound_actions``."""
        offered = []
        for model_name in sorted(self.env.registry):
            model = self.env[model_name]
            if model._abstract or model._transient:
                continue
            for method in sorted(inbound_methods(model)):
                func = getattr(model, method, None)
                if callable(func):
                    offered.append((model_name, method, inspect.getdoc(func) or ""))
        return offered

    @api.model
    def action_add_offered(self):
        """Create an Inbound Action for each method an installed addon offers and no action
        names yet (ps_governance depends on no workflow addon, so it cannot ship theirs).
        The new actions are allowed to no caller: an administrator allows them."""
        if not self.env.user.has_group("ps_base.group_ps_manager"):
            raise AccessError(self.env._("Only PS administrators add inbound actions."))
        # a handful of records: every action, archived ones included
        known = self.with_context(active_test=False).search([])  # pylint: disable=no-search-all
        pairs = {(action.model, action.method) for action in known}
        codes = set(known.mapped("code"))
        vals_list = []
        for model_name, method, doc in self._ps_offered():
            if (model_name, method) in pairs:
                continue
            code = f"{model_name.removeprefix('ps.')}.{method.removeprefix('_ps_inbound_')}"
            if code in codes:
                code = f"{model_name}.{method}"
            codes.add(code)
            summary = " ".join(doc.split()).split(". ", maxsplit=1)[0].rstrip(".")
            vals_list.append({"name": (summary or code)[:200], "code": code,
                              "model": model_name, "method": method, "description": doc})
        created = self.create(vals_list)
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "type": "success" if created else "info", "sticky": False,
            "message": self.env._("Inbound actions added: %s", ", ".join(
                created.mapped("code"))) if created else self.env._(
                "Every offered method already has its inbound action."),
            "next": {"type": "ir.actions.client", "tag": "soft_reload"}}}


class PsWebhookCaller(models.Model):
    """An outside tool allowed to call the suite: how it authenticates, as whom its
    actions run and which actions it may call."""

    _name = "ps.webhook.caller"
    _description = "Inbound Webhook Caller"
    _inherit = ["mail.thread"]
    _order = "name"

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(required=True, tracking=True, copy=False,
                       help="Last part of the URL: /ps/webhook/in/<code>")
    auth_mode = fields.Selection(
        [("hmac", "HMAC-SHA256 signature"), ("token", "Bearer token")], "Authentication",
        default="hmac", required=True, tracking=True,
        help="HMAC: X-PS-Signature = hex HMAC-SHA256(secret, timestamp + '.' + body). "
             "Token: Authorization: Bearer <secret>. X-PS-Timestamp is required in both.")
    secret = fields.Char(groups="ps_base.group_ps_manager", copy=False,
                         default=lambda self: secrets.token_hex(32))
    user_id = fields.Many2one(
        "res.users", "Run As", required=True, tracking=True,
        default=lambda self: self.env.user,
        help="The caller's actions run with this user's access rights")
    action_ids = fields.Many2many("ps.webhook.action", string="Allowed Actions")
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    url_path = fields.Char("Path", compute="_compute_url_path")
    log_ids = fields.One2many("ps.webhook.inbound.log", "caller_id", "Calls")

    _sql_constraints = [("code_uniq", "UNIQUE(code)", "Each caller has its own code.")]

    @api.depends("code")
    def _compute_url_path(self):
        for caller in self:
            caller.url_path = f"/ps/webhook/in/{caller.code or ''}"

    @api.constrains("code")
    def _check_code(self):
        for caller in self:
            if not caller.code or not caller.code.replace("-", "").replace("_", "").isalnum():
                raise ValidationError(self.env._(
                    "The code of caller %s may hold letters, digits, '-' and '_' only.",
                    caller.name))

    def action_rotate_secret(self):
        if not self.env.user.has_group("ps_base.group_ps_manager"):
            raise UserError(self.env._("Only PS administrators can change caller secrets."))
        for caller in self:
            caller.secret = secrets.token_hex(32)
            caller.message_post(body=self.env._("Secret rotated."))

    # ------------------------------------------------------------------
    # Handling a call (the controller looks up nothing and calls this, as superuser)
    # ------------------------------------------------------------------
    @api.model
    def _ps_handle_inbound(self, code, headers, body):
        """Authenticate, de-duplicate and run one inbound call. Returns (HTTP status,
        JSON-able dict). Every call is logged; a refused or failed action leaves nothing
        behind (savepoint)."""
        caller = self.sudo().with_context(active_test=False).search(
            [("code", "=", code)], limit=1).with_context(active_test=True) if code else self
        log_vals = {"caller_id": caller.id, "received_at": fields.Datetime.now(),
                    "payload": body[:MAX_LOGGED].decode("utf-8", "replace"),
                    "body_hash": hashlib.sha256(body).hexdigest()}
        try:
            status, result = caller._ps_run_inbound(headers, body, log_vals)
        except InboundRefused as refused:
            _logger.info("Inbound webhook %s refused (%s): %s", code, refused.status,
                         refused.reason)
            self.env["ps.webhook.inbound.log"].sudo().create(dict(
                log_vals, state="refused", http_status=refused.status, reason=refused.reason))
            return refused.status, {"ok": False, "error": refused.reason}
        return status, result

    def _ps_run_inbound(self, headers, body, log_vals):
        if not self or not self.active:
            raise InboundRefused(401, "unknown or inactive caller")
        headers = {key.lower(): value for key, value in headers.items()}
        self._ps_authenticate(headers, body)
        if len(body) > MAX_BODY:
            raise InboundRefused(413, f"body larger than {MAX_BODY} bytes")
        try:
            payload = json.loads(body)
        except ValueError:
            raise InboundRefused(400, "body is not JSON") from None
        if not isinstance(payload, dict):
            raise InboundRefused(400, "body must be a JSON object")
        event_id = payload.get("event_id") or headers.get("x-ps-event-id")
        if not event_id or not isinstance(event_id, str) or len(event_id) > 200:
            raise InboundRefused(400, "missing event_id (a unique id per event, at most "
                                      "200 characters)")
        log_vals["event_id"] = event_id
        code = payload.get("action")
        log_vals["action_code"] = code if isinstance(code, str) else False
        Log = self.env["ps.webhook.inbound.log"].sudo()
        done = Log.search([("caller_id", "=", self.id), ("event_id", "=", event_id),
                           ("state", "=", "done")], limit=1)
        if done:
            return self._ps_replayed(done, log_vals)
        action = self.env["ps.webhook.action"].sudo().search(
            [("code", "=", code)], limit=1) if isinstance(code, str) else None
        if not action:
            raise InboundRefused(400, f"unknown action: {code}")
        if action not in self.action_ids:
            raise InboundRefused(403, f"action {code} is not allowed for this caller")
        params = payload.get("params") or {}
        if not isinstance(params, dict):
            raise InboundRefused(400, "params must be a JSON object")
        try:
            model, method = action._ps_target()
        except ValidationError as error:
            raise InboundRefused(400, str(error)) from None
        try:
            with self.env.cr.savepoint():
                # claim the event id first: a concurrent duplicate fails on the unique index
                log = Log.create(dict(log_vals, state="done", http_status=200))
                target = model.with_user(self.user_id).with_company(
                    self.company_id or self.user_id.company_id)
                result = getattr(target, method)(params)
                log.result = json.dumps(result, default=str)[:MAX_LOGGED]
                self.env.flush_all()
        except IntegrityError:
            done = Log.search([("caller_id", "=", self.id), ("event_id", "=", event_id),
                               ("state", "=", "done")], limit=1)
            return self._ps_replayed(done, log_vals)
        except AccessError as error:
            raise InboundRefused(403, str(error)) from None
        except MissingError as error:
            raise InboundRefused(404, str(error)) from None
        except (UserError, ValidationError, ValueError, TypeError, KeyError) as error:
            raise InboundRefused(422, str(error) or type(error).__name__) from None
        return 200, {"ok": True, "event_id": event_id, "result": result}

    def _ps_authenticate(self, headers, body):
        window = int(get_param(self.env, "inbound_replay_window", 300))
        timestamp = headers.get("x-ps-timestamp", "")
        if not timestamp.isdigit():
            raise InboundRefused(401, "missing or malformed X-PS-Timestamp (Unix seconds)")
        if abs(time.time() - int(timestamp)) > window:
            raise InboundRefused(401, f"timestamp outside the replay window ({window} s)")
        secret = (self.sudo().secret or "").encode()
        if not secret:
            raise InboundRefused(401, "the caller has no secret")
        if self.auth_mode == "token":
            given = headers.get("authorization", "")
            if not given.startswith("Bearer ") or not hmac.compare_digest(
                    given[7:].encode(), secret):
                raise InboundRefused(401, "bad token")
            return
        expected = hmac.new(secret, timestamp.encode() + b"." + body,
                            hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("x-ps-signature", "")):
            raise InboundRefused(401, "bad signature")

    def _ps_replayed(self, done, log_vals):
        """The same event id again: the same body gets the first answer (no second
        effect), another body under a used id is a conflict."""
        if done.body_hash != log_vals["body_hash"]:
            raise InboundRefused(409, f"event_id {log_vals['event_id']} was already used "
                                      "for another request")
        self.env["ps.webhook.inbound.log"].sudo().create(dict(
            log_vals, state="duplicate", http_status=200,
            reason="replay of an event already applied"))
        return 200, {"ok": True, "event_id": log_vals["event_id"], "duplicate": True,
                     "result": json.loads(done.result or "null")}


class PsWebhookInboundLog(models.Model):
    _name = "ps.webhook.inbound.log"
    _description = "Inbound Webhook Call"
    _order = "id desc"
    _rec_name = "event_id"

    caller_id = fields.Many2one("ps.webhook.caller", readonly=True, index=True,
                                ondelete="cascade")
    event_id = fields.Char("Event Id", readonly=True, index=True)
    action_code = fields.Char("Action", readonly=True)
    received_at = fields.Datetime(readonly=True, index=True)
    state = fields.Selection([("done", "Applied"), ("duplicate", "Replay (ignored)"),
                              ("refused", "Refused")], readonly=True, required=True,
                             index=True)
    http_status = fields.Integer("HTTP Status", readonly=True, aggregator=False)
    reason = fields.Char(readonly=True)
    payload = fields.Text(readonly=True)
    body_hash = fields.Char(readonly=True)
    result = fields.Text(readonly=True)

    def init(self):
        # idempotency on the caller's event id: one applied call per (caller, event id)
        self.env.cr.execute("""
            CREATE UNIQUE INDEX IF NOT EXISTS ps_webhook_inbound_log_done_uniq
            ON ps_webhook_inbound_log (caller_id, event_id) WHERE state = 'done'
        """)
