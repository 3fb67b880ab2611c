from odoo import api, models


def _value_text(field, value):
    """Text form of a field value as the ORM holds it in cache, for the audit log."""
    if field.type == "many2one":
        return f"{value.display_name} (#{value.id})" if value else ""
    if field.type in ("one2many", "many2many"):
        return ", ".join(str(i) for i in sorted(value.ids))
    if field.type == "boolean":
        return "True" if value else "False"
    if value is False or value is None:
        return ""
    if field.type == "float":
        return repr(round(value, 6))
    return str(value)


class PsAuditMixin(models.AbstractModel):
    """Declare ``_ps_audit_fields`` on a model inheriting this mixin and every change to
    those fields (old and new value), every creation and every deletion is written to the
    hash-chained audit log.

    The values logged are the ones the write already has at hand: the old values come
    from what the ORM cached or prefetches in one query for the whole recordset, the new
    ones from the cache right after the write; nothing is read twice and entries are
    inserted in one batch per transaction. ``sudo().with_context(ps_audit_skip=True)``
    turns auditing off for technical bulk operations; the key is ignored for anyone else,
    since any client can put it in its context.
    """

    _name = "ps.audit.mixin"
    _description = "Audited Record"

    _ps_audit_fields = ()
    _ps_audit_events = ("create", "write", "unlink")
    # journal type of this model's entries; None: create / write / unlink
    _ps_audit_event_type = None

    def _ps_audit_enabled(self):
        return bool(self._ps_audit_fields) and not (
            self.env.su and self.env.context.get("ps_audit_skip"))

    def _ps_audit_records(self):
        """The records of ``self`` whose changes are journaled (all by default)."""
        return self

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        if "create" in self._ps_audit_events and records._ps_audit_enabled():
            entries = []
            audited = records._ps_audit_records()
            for record, vals in zip(records, vals_list, strict=True):
                if record not in audited:
                    continue
                given = [f for f in self._ps_audit_fields if f in vals]
                entries.append({
                    "event_type": self._ps_audit_event_type or "create",
                    "res_model": record._name,
                    "res_id": record.id,
                    "res_name": record.display_name,
                    "new_value": "\n".join(
                        f"{fname}: {_value_text(record._fields[fname], record[fname])}"
                        for fname in given) or None,
                    "description": self.env._("%(model)s created", model=record._description),
                    "company_id": record._ps_audit_company_id(),
                })
            self.env["ps.audit.log"]._log(entries)
        return records

    def write(self, vals):
        if "write" not in self._ps_audit_events or not self._ps_audit_enabled():
            return super().write(vals)
        fnames = [f for f in self._ps_audit_fields if f in vals]
        audited = self._ps_audit_records() if fnames else self.browse()
        if not audited:
            return super().write(vals)
        # old values: one prefetching read for the whole recordset, or the cache
        old = {
            record.id: [_value_text(self._fields[f], record[f]) for f in fnames]
            for record in audited
        }
        result = super().write(vals)
        entries = []
        for record in audited:
            for fname, old_text in zip(fnames, old[record.id], strict=True):
                field = self._fields[fname]
                new_text = _value_text(field, record[fname])
                if new_text == old_text:
                    continue
                entries.append({
                    "event_type": self._ps_audit_event_type or "write",
                    "res_model": record._name,
                    "res_id": record.id,
                    "res_name": record.display_name,
                    "field_name": fname,
                    "old_value": old_text,
                    "new_value": new_text,
                    "description": self.env._("%(field)s changed", field=field.string),
                    "company_id": record._ps_audit_company_id(),
                })
        self.env["ps.audit.log"]._log(entries)
        return result

    def unlink(self):
        if "unlink" in self._ps_audit_events and self._ps_audit_enabled():
            self.env["ps.audit.log"]._log([{
                "event_type": self._ps_audit_event_type or "unlink",
                "res_model": record._name,
                "res_id": record.id,
                "res_name": record.display_name,
                "description": self.env._("%(model)s deleted", model=record._description),
                "company_id": record._ps_audit_company_id(),
            } for record in self._ps_audit_records()])
        return super().unlink()

    def _ps_audit_company_id(self):
        company = self["company_id"] if "company_id" in self._fields else False
        return company.id if company else self.env.company.id
