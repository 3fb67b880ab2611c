from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL

from .ps_approval_mixin import _GATE_PASSED, followed_to_sources


def fact_sources(pool):
    """{gated model: {model: stored computed read-only fields}}: what the facts of each
    approvable model may be computed from, followed through every dependency of every
    computed field of the model (related fields and relations included), whatever its
    rules read today: a rule added tomorrow reads values written today. Per registry
    (databases served by one process may have other modules)."""
    cache = pool.__dict__.get("_ps_fact_sources")
    if cache is not None:
        return cache
    result = {}
    for name, model in pool.items():
        if model._abstract or not getattr(model, "_ps_approvable", False):
            continue
        found = defaultdict(set)
        seen = set()
        todo = [(name, fname) for fname, field in model._fields.items() if field.compute]
        while todo:
            model_name, path = todo.pop()
            if (model_name, path) in seen or model_name not in pool:
                continue
            seen.add((model_name, path))
            fname, _sep, rest = path.partition(".")
            field = pool[model_name]._fields.get(fname)
            if field is None:
                continue
            if followed_to_sources(field):
                if field.store:
                    found[model_name].add(fname)
                todo.extend((model_name, dep) for dep in pool.field_depends[field])
            if rest and field.relational:
                todo.append((field.comodel_name, rest))
        result[name] = {model_name: frozenset(names) for model_name, names in found.items()}
    watched = defaultdict(set)
    for sources in result.values():
        for model_name, names in sources.items():
            watched[model_name].update(names)
    cache = {"by_document": result,
             "watched": {model_name: frozenset(names) for model_name, names in watched.items()}}
    pool.__dict__["_ps_fact_sources"] = cache
    return cache


class Base(models.AbstractModel):
    _inherit = "base"

    @api.model_create_multi
    def create(self, vals_list):
        forged = None
        names = fact_sources(self.pool)["watched"].get(self._name) if not self.env.su else None
        if names:
            # defaults from the context (default_<field>) are the client's values too,
            # even inside a gated action
            defaults = {key[8:] for key in self.env.context if key.startswith("default_")}
            defaults &= names
            from_vals = self._ps_hand_written_values_count()
            forged = [(names.intersection(vals) if from_vals else set())
                      | (defaults - vals.keys()) for vals in vals_list]
        records = super().create(vals_list)
        if forged and any(forged):
            by_fields = defaultdict(set)
            for record, fnames in zip(records, forged, strict=True):
                if fnames:
                    by_fields[frozenset(fnames)].add(record.id)
            for fnames, ids in by_fields.items():
                self.env["ps.fact.taint"]._record(self._name, sorted(ids), fnames)
        return records

    def write(self, vals):
        forged = None
        if self and self._ps_hand_written_values_count():
            names = fact_sources(self.pool)["watched"].get(self._name)
            forged = names.intersection(vals) if names else None
        result = super().write(vals)
        # documents past their gate too: one reset to draft is decided again
        if forged:
            self.env["ps.fact.taint"]._record(self._name, self.ids, forged)
        return result

    def _ps_hand_written_values_count(self):
        """Whether values written now may come from a user: not the server's own code
        (superuser), nor the gated action a gate has just let through, which runs Odoo's
        own flow on values the client does not choose (an approved expense report takes
        its manager)."""
        return not self.env.su and not _GATE_PASSED.get()


class PsFactTaint(models.Model):
    """A computed value someone other than the server wrote over its computation (a
    computed, read-only field written over RPC, an import, a form): a value the facts of
    approval policies may be computed from. The engine trusts the values the ORM keeps
    and recomputes, when it decides, only what a row here says was written by hand; the
    row goes once the value is recomputed. Written by the ORM hooks only, in SQL."""

    _name = "ps.fact.taint"
    _description = "Computed Value Written by Hand"
    _log_access = False
    _order = "id desc"

    res_model = fields.Char("Model", required=True, readonly=True, index=True)
    res_id = fields.Many2oneReference("Record", model_field="res_model", required=True,
                                      readonly=True)
    field_name = fields.Char("Field", required=True, readonly=True)
    written_by = fields.Many2one("res.users", readonly=True, ondelete="set null")
    written_at = fields.Datetime(readonly=True)

    _sql_constraints = [("ps_fact_taint_unique", "UNIQUE (res_model, res_id, field_name)",
                         "A written value is recorded once until recomputed.")]

    def _register_hook(self):
        # the dependencies of this registry, once its models are set up
        self.pool.__dict__.pop("_ps_fact_sources", None)
        return super()._register_hook()

    @api.model
    def _record(self, model_name, ids, fnames):
        self.env.cr.execute(SQL("""
            INSERT INTO ps_fact_taint (res_model, res_id, field_name, written_by, written_at)
            SELECT %(model)s, rid, fname, %(uid)s, now() at time zone 'UTC'
              FROM unnest(%(ids)s::int[]) rid CROSS JOIN unnest(%(fnames)s::varchar[]) fname
            ON CONFLICT (res_model, res_id, field_name) DO NOTHING
        """, model=model_name, ids=list(ids), fnames=sorted(fnames), uid=self.env.uid))

    @api.model
    def _any_for(self, document_model):
        """Whether a value the facts of ``document_model`` may be computed from was
        written by hand (one query, on an index)."""
        models_ = list(fact_sources(self.pool)["by_document"].get(document_model, ()))
        if not models_:
            return False
        self.env.cr.execute(SQL(
            "SELECT 1 FROM ps_fact_taint WHERE res_model = ANY(%s) LIMIT 1", models_))
        return bool(self.env.cr.rowcount)

    @api.model
    def _take(self, todo):
        """Of ``todo`` ({(model, field): ids}), whether a value was written by hand; the
        rows of ``todo`` are removed (the caller recomputes all of it)."""
        ids = sorted({rid for rids in todo.values() for rid in rids})
        models_ = sorted({model_name for model_name, _fname in todo})
        self.env.cr.execute(SQL("""
            SELECT id, res_model, res_id, field_name FROM ps_fact_taint
             WHERE res_model = ANY(%s) AND res_id = ANY(%s)
        """, models_, ids))
        hits = [row_id for row_id, model_name, rid, fname in self.env.cr.fetchall()
                if rid in todo.get((model_name, fname), ())]
        if hits:
            self.env.cr.execute(SQL("DELETE FROM ps_fact_taint WHERE id = ANY(%s)", hits))
        return bool(hits)

    @api.model
    def _cron_purge(self):
        """Rows of records that no longer exist."""
        self.env.cr.execute("SELECT DISTINCT res_model FROM ps_fact_taint")
        for (model_name,) in self.env.cr.fetchall():
            model = self.env.get(model_name)
            if model is None or not model._auto or model._abstract:
                self.env.cr.execute(SQL("DELETE FROM ps_fact_taint WHERE res_model = %s",
                                        model_name))
                continue
            self.env.cr.execute(SQL("""
                DELETE FROM ps_fact_taint t WHERE t.res_model = %s
                   AND NOT EXISTS (SELECT 1 FROM %s r WHERE r.id = t.res_id)
            """, model_name, SQL.identifier(model._table)))
