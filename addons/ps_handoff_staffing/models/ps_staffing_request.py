from odoo import Command, api, fields, models


class PsStaffingRequest(models.Model):
    _inherit = "ps.staffing.request"

    capacity_need_id = fields.Many2one(
        "ps.capacity.need", readonly=True, copy=False, ondelete="set null",
        index="btree_not_null",
        help="The provisional demand of an opportunity this request was created from")
    opportunity_id = fields.Many2one(related="capacity_need_id.lead_id", string="Opportunity")

    _sql_constraints = [
        ("capacity_need_uniq", "unique(capacity_need_id)",
         "A capacity need has one staffing request."),
    ]

    @api.model
    def _source_models(self):
        return super()._source_models() + ["ps.capacity.need", "ps.handoff.staffing"]

    # ------------------------------------------------------------------
    # Early requests: created from an opportunity's provisional need
    # ------------------------------------------------------------------
    @api.model
    def _ps_early_request_domain(self):
        """Requests created from a capacity need and not yet taken over by the handoff of
        the won deal (which re-sources them to its staffing assumption)."""
        return [("capacity_need_id", "!=", False), ("source_model", "=", "ps.capacity.need"),
                ("state", "!=", "closed")]

    @api.model
    def _ps_close_early_requests(self, needs, reason):
        # sudo: the state of a request has one writer, the workflow; this is one of its steps
        requests = self.sudo().search(self._ps_early_request_domain()
                                      + [("capacity_need_id", "in", needs.ids)])
        for request in requests:
            request.message_post(body=self.env._("Closed: %s.", reason),
                                 subtype_xmlid="mail.mt_note")
        requests.write({"state": "closed"})
        return requests

    def _ps_take_over(self, need):
        """This early request becomes the request of a won deal's staffing assumption
        (``need``, as built by ``ps.handoff._ps_staffing_need``): its project, period,
        hours and skills, its source; candidates ranked before are kept (rank again)."""
        self.ensure_one()
        before = self.env._("%(start)s - %(end)s, %(hours)s h/week",
                            start=self.date_start, end=self.date_end, hours=self.hours_per_week)
        skills = self.env["hr.skill"].sudo().search(
            [("name", "in", need.get("skill_names") or [])])
        missing = skills - self.skill_line_ids.skill_id
        self.write({
            "project_id": need["project_id"], "is_provisional": False, "role": need["role"],
            "date_start": need["date_start"], "date_end": need["date_end"],
            "load_unit": "hours", "hours_per_week": need["hours_per_week"],
            "source_model": need["source_model"], "source_id": need["source_id"],
            "skill_line_ids": [Command.create(vals) for vals in self._skill_line_vals(missing)],
        })
        self.message_post(body=self.env._(
            "The deal is won: this request now staffs %(project)s for the handoff's "
            "assumption (was %(before)s, now %(after)s). Rank the candidates again.",
            project=self.project_id.display_name, before=before,
            after=self.env._("%(start)s - %(end)s, %(hours)s h/week", start=self.date_start,
                             end=self.date_end, hours=self.hours_per_week)),
            subtype_xmlid="mail.mt_note")
