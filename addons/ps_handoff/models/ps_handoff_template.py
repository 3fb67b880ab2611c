from odoo import api, fields, models
from odoo.exceptions import ValidationError

PRICING_MODELS = [("time_materials", "Time & Materials"), ("fixed_fee", "Fixed Fee"),
                  ("retainer", "Retainer"), ("milestone", "Milestones")]
# what a checklist item may require: a field of the handoff, or a document
CHECKLIST_FIELDS = [
    ("scope_summary", "Scope summary"),
    ("pricing_model", "Pricing model"),
    ("date_start", "Start date"),
    ("date_end", "End date"),
    ("budget", "Budget"),
    ("milestones", "Milestones"),
    ("staffing_line_ids", "Staffing assumptions"),
    ("contact_ids", "Client contacts"),
    ("po_number", "Customer PO number"),
]
ROLES = [("project_manager", "Project manager"), ("account_owner", "Account owner")]


class PsHandoffDocumentType(models.Model):
    _name = "ps.handoff.document.type"
    _description = "Handoff Document Type"
    _order = "name"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    description = fields.Text()

    _sql_constraints = [("name_unique", "UNIQUE(name)", "A document type with this name exists.")]


class PsHandoffTemplate(models.Model):
    """How a service line hands a sold deal over to delivery: the project template to
    copy, the kickoff tasks, and the checklist a project must meet before it starts."""

    _name = "ps.handoff.template"
    _description = "Handoff Template"
    _order = "sequence, id"

    name = fields.Char("Service Line", required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    project_template_id = fields.Many2one(
        "project.project", "Project Template", required=True, ondelete="restrict",
        help="The project copied for each handoff of this service line; its tasks come along")
    product_categ_ids = fields.Many2many(
        "product.category", string="Product Categories",
        help="Orders selling services of these categories use this template; leave empty "
             "for the default template")
    item_ids = fields.One2many("ps.handoff.template.item", "template_id", "Checklist",
                               copy=True)
    task_ids = fields.One2many("ps.handoff.template.task", "template_id", "Kickoff Tasks",
                               copy=True)
    staffing_ids = fields.One2many(
        "ps.handoff.template.staffing", "template_id", "Usual Roles", copy=True,
        help="Roles an opportunity of this service line needs; past the probability of "
             "Settings they show as provisional capacity demand")

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("project_template_id"):
                raise ValidationError(self.env._(
                    "Handoff template '%s' needs a project template to copy.",
                    vals.get("name") or "?"))
        return super().create(vals_list)

    @api.constrains("project_template_id")
    def _check_project_template(self):
        for template in self:
            if not template.project_template_id:
                raise ValidationError(self.env._(
                    "Handoff template '%s' needs a project template to copy.", template.name))


class PsHandoffTemplateItem(models.Model):
    _name = "ps.handoff.template.item"
    _description = "Handoff Checklist Item"
    _order = "template_id, sequence, id"

    template_id = fields.Many2one("ps.handoff.template", required=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    kind = fields.Selection([("field", "Information"), ("document", "Document")],
                            required=True, default="field")
    field_name = fields.Selection(CHECKLIST_FIELDS, "Information")
    document_type_id = fields.Many2one("ps.handoff.document.type", ondelete="restrict")
    responsible = fields.Selection(ROLES, default="account_owner", required=True,
                                   help="Who provides it")

    @api.constrains("kind", "field_name", "document_type_id")
    def _check_item(self):
        for item in self:
            if item.kind == "field" and not item.field_name:
                raise ValidationError(self.env._(
                    "A checklist item of '%s' asks for information: say which.",
                    item.template_id.name))
            if item.kind == "document" and not item.document_type_id:
                raise ValidationError(self.env._(
                    "A checklist item of '%s' asks for a document: choose its document type "
                    "(Configuration > Handoff Document Types).", item.template_id.name))

    def _label(self):
        self.ensure_one()
        if self.kind == "document":
            return self.document_type_id.name
        return dict(CHECKLIST_FIELDS)[self.field_name]


class PsHandoffTemplateTask(models.Model):
    _name = "ps.handoff.template.task"
    _description = "Handoff Kickoff Task"
    _order = "template_id, sequence, id"

    template_id = fields.Many2one("ps.handoff.template", required=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    days_after_confirmation = fields.Integer("Due (days after confirmation)", default=5)
    role = fields.Selection(ROLES, default="project_manager", required=True)

    @api.constrains("days_after_confirmation")
    def _check_days(self):
        for task in self:
            if task.days_after_confirmation < 0:
                raise ValidationError(self.env._(
                    "Kickoff task '%s' cannot be due before the order is confirmed.", task.name))
