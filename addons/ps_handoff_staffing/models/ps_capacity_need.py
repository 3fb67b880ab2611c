from markupsafe import Markup, escape

from odoo import fields, models
from odoo.exceptions import AccessError, UserError

from .ps_handoff import _skill_names


class PsCapacityNeed(models.Model):
    _inherit = "ps.capacity.need"

    staffing_request_ids = fields.One2many(
        "ps.staffing.request", "capacity_need_id", "Staffing Requests", readonly=True)
    staffing_request_id = fields.Many2one(
        "ps.staffing.request", compute="_compute_staffing_request_id",
        help="The staffing request created from this need (one at most)")

    def _compute_staffing_request_id(self):
        # sudo: whether a request exists is shown to whoever reads the need
        requests = self.env["ps.staffing.request"].sudo().search_fetch(
            [("capacity_need_id", "in", self.ids)], ["capacity_need_id"])
        by_need = {request.capacity_need_id.id: request for request in requests}
        for need in self:
            need.staffing_request_id = by_need.get(need.id, requests.browse()).with_env(
                self.env)

    def action_create_staffing_request(self):
        """One staffing request per need, never two: the request already made is
        returned (reopened when it was closed), the others are created. Resource managers
        only. A need of a won deal whose handoff has a project gets a request on it; the
        others are provisional (ranked, not staffed, until the deal is won)."""
        self.check_access("read")
        if not self.env.user.has_group("ps_base.group_ps_resource_manager"):
            raise AccessError(self.env._(
                "Only resource managers create staffing requests from capacity needs."))
        released = self.filtered(lambda n: n.state == "released")
        if released:
            raise UserError(self.env._(
                "These needs are released (the opportunity was lost or fell below the "
                "probability of Settings): %s. Nothing to staff.",
                ", ".join(released.mapped("display_name"))))
        Request = self.env["ps.staffing.request"]
        existing = {r.capacity_need_id: r for r in Request.with_context(
            active_test=False).search([("capacity_need_id", "in", self.ids)])}
        closed = Request.browse([r.id for r in existing.values() if r.state == "closed"])
        if closed:
            closed.action_reset_draft()
        todo = self.filtered(lambda n: n not in existing)
        created = Request._ps_create_from_needs(todo._ps_request_vals()) if todo else Request
        requests = Request.browse([existing[n].id for n in self if n in existing]) | created
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ps_staffing.ps_staffing_request_action")
        action["context"] = {}
        if len(requests) == 1:
            action.update(view_mode="form", views=[(False, "form")], res_id=requests.id)
        else:
            action["domain"] = [("id", "in", requests.ids)]
        return action

    def _ps_request_vals(self):
        """The needs as staffing needs for ``_ps_create_from_needs``: role, hours per week,
        period, skills Odoo knows (the others in the note), the opportunity's company."""
        # sudo: skills are configuration; their names are matched, not shown
        known = set(self.env["hr.skill"].sudo().search_fetch(
            [("name", "in", list({name for need in self for name in _skill_names(need)}))],
            ["name"]).mapped("name"))
        vals_list = []
        for need in self:
            names = _skill_names(need)
            unknown = [name for name in names if name not in known]
            # sudo: the opportunity's name and the handoff's project, for a reader of needs
            lead, project = need.sudo().lead_id, need.sudo().handoff_id.project_id
            note = Markup("<p>%s</p>") % self.env._(
                "From the opportunity %(lead)s: %(hours)s hours in all, at %(probability)s%%.",
                lead=lead.name, hours=need.hours, probability=need.probability)
            if unknown:
                note += Markup("<p>%s %s</p>") % (self.env._("Skills asked:"),
                                                  escape(", ".join(unknown)))
            vals_list.append({
                "project_id": project.id, "is_provisional": not project,
                "company_id": need.company_id.id, "role": need.role,
                "hours_per_week": need.hours_per_week, "date_start": need.date_from,
                "date_end": need.date_to,
                "skill_names": [name for name in names if name in known],
                "source_model": need._name, "source_id": need.id,
                "capacity_need_id": need.id, "note": note,
            })
        return vals_list
