from odoo import api, fields, models
from odoo.exceptions import UserError


class ProjectProjectStage(models.Model):
    _inherit = "project.project.stage"

    ps_start_gate = fields.Boolean(
        "Project Started", help="Moving a project to this stage starts it: its handoff must "
        "be complete, or a kickoff exception approved")


class ProjectProject(models.Model):
    _inherit = "project.project"

    ps_handoff_ids = fields.One2many("ps.handoff", "project_id", "Handoffs",
                                     groups="ps_base.group_ps_user")

    @api.model_create_multi
    def create(self, vals_list):
        projects = super().create(vals_list)
        started = projects.filtered(lambda p: p.sudo().stage_id.ps_start_gate)
        started._ps_check_can_start()
        return projects

    def write(self, vals):
        if vals.get("stage_id"):
            stage = self.env["project.project.stage"].sudo().browse(vals["stage_id"])
            if stage.ps_start_gate:
                starting = self.filtered(lambda p: not p.sudo().stage_id.ps_start_gate)
                starting._ps_check_can_start()
                result = super().write(vals)
                starting._ps_mark_started()
                return result
        return super().write(vals)

    def _ps_check_can_start(self):
        """Refuse to start a project whose handoff is incomplete without an approved
        kickoff exception, naming what is missing and who provides it. The checklist is
        evaluated from its sources now, whatever was written on the handoff."""
        handoffs = self.sudo().ps_handoff_ids.filtered(lambda h: h.state != "started")
        excepted = self.env["ps.kickoff.exception"]._approved_for(handoffs)
        for handoff in handoffs - excepted:
            missing = handoff._missing_items()
            if missing:
                raise UserError(self.env._(
                    "%(project)s cannot start: its handoff %(handoff)s is missing %(missing)s. "
                    "Complete the handoff, or ask for a kickoff exception.",
                    project=handoff.project_id.display_name, handoff=handoff.name,
                    missing=", ".join(
                        self.env._("%(item)s (%(who)s)", item=item._label(),
                                   who=dict(item._fields["responsible"].selection)[
                                       item.responsible]) for item in missing)))

    def _ps_mark_started(self):
        now = fields.Datetime.now()
        for handoff in self.sudo().ps_handoff_ids.filtered(lambda h: h.state != "started"):
            lead_time = (now - handoff.confirmed_at).total_seconds() / 86400.0 \
                if handoff.confirmed_at else 0.0
            handoff.write({"state": "started", "started_at": now,
                           "lead_time_days": round(lead_time, 2)})
        self.env["ps.event"]._emit_rows("project.started", [{
            "res_model": self._name, "res_id": project.id, "res_name": project.name,
            "company_id": project.company_id.id, "payload": {"project_id": project.id},
        } for project in self])
