from odoo import fields, models


class HrEmployee(models.Model):
    _inherit = "hr.employee"

    ps_manager_self_set = fields.Boolean(
        "Manager Chosen by the Employee", readonly=True, copy=False, groups="hr.group_hr_user",
        help="The employee set their own manager (self-editing of HR data is on): approval "
             "tiers routed to 'the requester's manager' do not trust this manager until HR "
             "sets it again")

    def write(self, vals):
        if "parent_id" in vals:
            user = self.env.user
            own = self.filtered(lambda e: e.user_id == user)
            if own and not user.has_group("hr.group_hr_user"):
                result = super().write(vals)
                # sudo: a technical mark the employee cannot clear, written for them
                own.sudo().write({"ps_manager_self_set": True})
                (self - own).sudo().write({"ps_manager_self_set": False})
                self.env["ps.audit.log"]._log([{
                    "event_type": "write", "res_model": "hr.employee", "res_id": employee.id,
                    "res_name": employee.name, "field_name": "parent_id",
                    "new_value": employee.parent_id.name or "",
                    "description": self.env._("Employee chose their own manager"),
                } for employee in own])
                return result
            vals = {**vals, "ps_manager_self_set": False}
        return super().write(vals)
