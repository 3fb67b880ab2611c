import fnmatch
import ipaddress
import secrets
import socket
from urllib.parse import urlsplit

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

PARAM = "ps_governance.%s"
DEFAULTS = {"webhook_timeout": 10.0, "webhook_max_attempts": 8, "webhook_backoff": 120}


def get_param(env, name, default=None):
    """A setting of this addon (ir.config_parameter ps_governance.<name>)."""
    value = env["ir.config_parameter"].sudo().get_param(PARAM % name)
    return value if value not in (None, False, "") else default


def is_private_address(address):
    ip = ipaddress.ip_address(address)
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
            or ip.is_multicast or ip.is_unspecified)


class PsWebhookEndpoint(models.Model):
    """An outside system that receives the suite's business events as signed HTTP POSTs."""

    _name = "ps.webhook.endpoint"
    _description = "Webhook Endpoint"
    _inherit = ["mail.thread"]
    _order = "name"

    name = fields.Char(required=True, tracking=True)
    url = fields.Char("URL", required=True, tracking=True,
                      help="http:// or https:// address the events are POSTed to")
    secret = fields.Char(
        groups="ps_base.group_ps_manager", copy=False,
        default=lambda self: secrets.token_hex(32),
        help="Key of the HMAC-SHA256 signature (header X-PS-Signature); only PS "
             "administrators can read it.")
    event_types = fields.Char(
        required=True, default="*", tracking=True,
        help="Comma-separated patterns of event types, e.g. 'approval.*, handoff.ready'; "
             "'*' sends every event")
    active = fields.Boolean(default=True, tracking=True)
    timeout = fields.Float(
        "Timeout (s)", required=True, tracking=True,
        default=lambda self: float(get_param(self.env, "webhook_timeout",
                                             DEFAULTS["webhook_timeout"])))
    max_attempts = fields.Integer(
        required=True, tracking=True,
        default=lambda self: int(get_param(self.env, "webhook_max_attempts",
                                           DEFAULTS["webhook_max_attempts"])),
        help="Attempts before a delivery goes to the dead letter (exception queue)")
    backoff_base = fields.Integer(
        "Backoff Base (s)", required=True, tracking=True,
        default=lambda self: int(get_param(self.env, "webhook_backoff",
                                           DEFAULTS["webhook_backoff"])),
        help="Wait after the first failure; it doubles after each further failure "
             "(120 s and 8 attempts retry over about 4 hours)")
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company,
                                 index=True,
                                 help="Only events of this company; empty for all companies")
    delivery_ids = fields.One2many("ps.webhook.delivery", "endpoint_id", "Deliveries")
    delivery_count = fields.Integer(compute="_compute_delivery_stats")
    dead_count = fields.Integer("Dead Letters", compute="_compute_delivery_stats")

    def _compute_delivery_stats(self):
        counts = {(endpoint, state): count for endpoint, state, count in
                  self.env["ps.webhook.delivery"]._read_group(
                      [("endpoint_id", "in", self.ids)], ["endpoint_id", "state"],
                      ["__count"])}
        for endpoint in self:
            endpoint.delivery_count = sum(count for (ept, _state), count in counts.items()
                                          if ept == endpoint)
            endpoint.dead_count = counts.get((endpoint, "dead"), 0)

    @api.constrains("timeout", "max_attempts", "backoff_base")
    def _check_limits(self):
        for endpoint in self:
            if endpoint.timeout <= 0:
                raise ValidationError(self.env._(
                    "Give %s a timeout of more than 0 seconds (e.g. 10).", endpoint.name))
            if endpoint.max_attempts < 1 or endpoint.backoff_base < 1:
                raise ValidationError(self.env._(
                    "%s needs at least one attempt and a backoff base of at least one "
                    "second.", endpoint.name))

    @api.constrains("url")
    def _check_url(self):
        for endpoint in self:
            endpoint._ps_check_url(resolve=False)

    def _ps_check_url(self, resolve=True):
        """Refuse what is not http(s); with the Settings option, refuse private, loopback
        and link-local addresses (the host is resolved when ``resolve``)."""
        self.ensure_one()
        parts = urlsplit((self.url or "").strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError(self.env._(
                "Webhook URL of %(name)s must start with http:// or https:// and name a "
                "host: %(url)s", name=self.name, url=self.url))
        if not get_param(self.env, "webhook_block_private"):
            return
        host = parts.hostname
        if host == "localhost" or host.endswith(".localhost"):
            raise ValidationError(self.env._(
                "Webhook URL %s points to this machine; private addresses are refused "
                "(Settings).", self.url))
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            if not resolve:
                return
            try:
                addresses = [info[4][0] for info in socket.getaddrinfo(host, None)]
            except OSError as error:
                raise ValidationError(self.env._("Cannot resolve %(host)s: %(error)s",
                                                 host=host, error=error)) from error
        private = [address for address in addresses if is_private_address(address)]
        if private:
            raise ValidationError(self.env._(
                "Webhook URL %(url)s resolves to a private address (%(address)s); private "
                "addresses are refused (Settings).", url=self.url, address=private[0]))

    @api.constrains("event_types")
    def _check_event_types(self):
        for endpoint in self:
            if not endpoint._ps_patterns():
                raise ValidationError(self.env._(
                    "Give %s at least one event type pattern, or '*' for every event.",
                    endpoint.name))

    def _ps_patterns(self):
        return [pattern.strip() for pattern in (self.event_types or "").split(",")
                if pattern.strip()]

    def _ps_matches(self, event_type, company_id):
        self.ensure_one()
        if self.company_id and self.company_id.id != company_id:
            return False
        return any(fnmatch.fnmatchcase(event_type, pattern) for pattern in self._ps_patterns())

    def action_rotate_secret(self):
        if not self.env.user.has_group("ps_base.group_ps_manager"):
            raise UserError(self.env._("Only PS administrators can change webhook secrets."))
        for endpoint in self:
            endpoint.secret = secrets.token_hex(32)
            endpoint.message_post(body=self.env._("Secret rotated."))

    def action_open_deliveries(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ps_governance.ps_webhook_delivery_action")
        action["domain"] = [("endpoint_id", "=", self.id)]
        action["context"] = {}
        return action
