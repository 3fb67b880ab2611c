from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

MAX_TEXT = 256


class PsHandoff(models.Model):
    """What outside tools may ask of a handoff. Inbound webhooks (ps_governance) call only
    the methods listed in ``_ps_inbound_actions``, as the user their caller runs as: that
    user's access rights decide. This addon does not depend on ps_governance: an
    administrator allows the method to a caller with an Inbound Action (model ps.handoff,
    method _ps_inbound_mark_signed)."""

    _inherit = "ps.handoff"

    _ps_inbound_actions = ("_ps_inbound_mark_signed",)

    @api.model
    def _ps_inbound_mark_signed(self, params):
        """Mark a document the handoff's checklist requires as signed, from an e-signature
        service. ``params``:

        - ``handoff``: the handoff's reference, or ``handoff_id``, or ``order`` (the sale
          order's number);
        - ``document``: the document type as named on the checklist (e.g. "Signed SOW or
          contract"), or ``document_type_id``;
        - ``signature_url``: http(s) link to the signed document at the service;
        - ``signature_ref``: the envelope or reference at the service (optional);
        - ``signer``: who signed; ``signed_at``: when (optional, ISO date and time, UTC).

        Everything is checked before anything is written: a UserError lists what is wrong.
        The document is attached as a link, the signature is audited and posted on the
        handoff; a checklist now complete makes the handoff ready to start."""
        if not isinstance(params, dict):
            raise UserError(self.env._("Send the parameters as a JSON object."))
        problems = []
        handoff = self._ps_inbound_handoff(params, problems)
        item = handoff._ps_inbound_document_item(params, problems) if handoff else None
        signature = self._ps_inbound_signature(params, problems)
        if handoff and item:
            provided = handoff.document_ids.filtered(
                lambda d: d.document_type_id == item.document_type_id and d.attachment_id)
            if provided:
                problems.append(self.env._(
                    "%(document)s of %(handoff)s is already provided (%(file)s); remove it "
                    "from the handoff first if this signature replaces it.",
                    document=item.document_type_id.name, handoff=handoff.name,
                    file=provided[0].attachment_id.name))
        if problems:
            raise UserError("\n".join(problems))
        return handoff._ps_mark_signed(item.document_type_id, signature)

    @api.model
    def _ps_inbound_handoff(self, params, problems):
        """The handoff the parameters name, searched with the caller's rights."""
        if params.get("handoff_id"):
            try:
                domain = [("id", "=", int(params["handoff_id"]))]
            except (TypeError, ValueError):
                problems.append(self.env._("'handoff_id' must be a number."))
                return self.browse()
            given = params["handoff_id"]
        elif isinstance(params.get("handoff"), str) and params["handoff"].strip():
            given = params["handoff"].strip()
            domain = [("name", "=", given)]
        elif isinstance(params.get("order"), str) and params["order"].strip():
            given = params["order"].strip()
            # sudo: the order's number only finds its handoff, which is then searched with
            # the caller's rights (a project manager may not read sale orders)
            orders = self.env["sale.order"].sudo().search([("name", "=", given)])
            domain = [("order_id", "in", orders.ids)]
        else:
            problems.append(self.env._(
                "Name the handoff: 'handoff' (its reference), 'handoff_id' or 'order' (the "
                "sale order's number)."))
            return self.browse()
        handoff = self.search(domain, limit=2)
        if len(handoff) != 1:
            problems.append(self.env._("No handoff %s that you can see.", given)
                            if not handoff else
                            self.env._("Several handoffs match %s: send 'handoff'.", given))
            return self.browse()
        return handoff

    def _ps_inbound_document_item(self, params, problems):
        """The document item of the handoff's checklist the parameters name."""
        self.ensure_one()
        items = self.template_id.item_ids.filtered(lambda i: i.kind == "document")
        required = ", ".join(items.document_type_id.mapped("name")) or self.env._("none")
        name = params.get("document")
        type_id = params.get("document_type_id")
        if isinstance(type_id, int) and not isinstance(type_id, bool):
            item = items.filtered(lambda i: i.document_type_id.id == type_id)[:1]
            given = str(type_id)
        elif isinstance(name, str) and name.strip():
            given = name.strip()
            item = items.filtered(
                lambda i: i.document_type_id.name.casefold() == given.casefold())[:1]
        else:
            problems.append(self.env._(
                "Name the signed document in 'document' (required by %(handoff)s: "
                "%(required)s).", handoff=self.name, required=required))
            return None
        if not item:
            problems.append(self.env._(
                "%(handoff)s's checklist requires no document '%(given)s'; it requires: "
                "%(required)s.", handoff=self.name, given=given, required=required))
            return None
        return item

    @api.model
    def _ps_inbound_signature(self, params, problems):
        """The signature's link, reference, signer and time, checked."""
        url = params.get("signature_url")
        if not isinstance(url, str) or not url.strip():
            problems.append(self.env._(
                "Give 'signature_url', the link to the signed document at the e-signature "
                "service."))
            url = None
        else:
            url = url.strip()
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                problems.append(self.env._(
                    "'signature_url' must be an http:// or https:// link: %s", url[:MAX_TEXT]))
        ref = params.get("signature_ref") or ""
        if not isinstance(ref, str) or len(ref) > MAX_TEXT:
            problems.append(self.env._(
                "'signature_ref' must be text of at most %s characters.", MAX_TEXT))
            ref = ""
        signer = params.get("signer")
        if not isinstance(signer, str) or not signer.strip() or len(signer) > MAX_TEXT:
            problems.append(self.env._(
                "Say who signed in 'signer' (a name, at most %s characters).", MAX_TEXT))
            signer = None
        now = fields.Datetime.now()
        signed_at = now
        if params.get("signed_at"):
            try:
                signed_at = datetime.fromisoformat(str(params["signed_at"]))
            except ValueError:
                problems.append(self.env._(
                    "'signed_at' must be a date and time such as 2026-11-26T15:30:00Z: %s",
                    str(params["signed_at"])[:MAX_TEXT]))
                signed_at = now
            if signed_at.tzinfo:
                signed_at = signed_at.astimezone(timezone.utc).replace(tzinfo=None)
            # a few minutes of clock difference with the service are tolerated
            if signed_at > now + timedelta(minutes=5):
                problems.append(self.env._("'signed_at' cannot be in the future."))
        return {"url": url, "ref": ref.strip(), "signer": signer and signer.strip(),
                "signed_at": signed_at}

    def _ps_mark_signed(self, document_type, signature):
        """Attach the signed document as a link, audit it and post it on the handoff."""
        self.ensure_one()
        signed_at = fields.Datetime.to_string(signature["signed_at"])
        description = self.env._(
            "Signed electronically by %(signer)s on %(date)s (UTC)%(ref)s",
            signer=signature["signer"], date=signed_at,
            ref=f", {signature['ref']}" if signature["ref"] else "")
        attachment = self.env["ir.attachment"].create({
            "name": self.env._("%(document)s (signed by %(signer)s)",
                               document=document_type.name, signer=signature["signer"]),
            "type": "url", "url": signature["url"], "description": description,
            "res_model": self._name, "res_id": self.id,
        })
        empty = self.document_ids.filtered(
            lambda d: d.document_type_id == document_type and not d.attachment_id)[:1]
        if empty:
            empty.attachment_id = attachment
            document = empty
        else:
            document = self.env["ps.handoff.document"].create({
                "handoff_id": self.id, "document_type_id": document_type.id,
                "attachment_id": attachment.id})
        self.env["ps.audit.log"]._log([{
            "event_type": "event", "res_model": self._name, "res_id": self.id,
            "res_name": self.name, "field_name": "document_ids",
            "new_value": f"{document_type.name}: {description}; {signature['url']}",
            "description": self.env._("Document signed: %s", document_type.name),
            "company_id": self.company_id.id,
        }])
        self.message_post(body=Markup(
            "<b>%s</b> %s<br/><a href='%s' target='_blank' rel='noopener'>%s</a>") % (
            document_type.name, description, signature["url"],
            self.env._("Signed document")))
        return {"handoff": self.name, "handoff_id": self.id, "document_id": document.id,
                "document": document_type.name, "state": self.state,
                "missing": self.missing_count}
