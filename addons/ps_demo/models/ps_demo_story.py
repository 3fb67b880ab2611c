"""The demo story: a firm with two practices and a quarter of activity (readme/USAGE.md).

Generated in Python with a fixed seed, relative to today (the last 13 weeks and the next 4),
through the ORM and the suite's own actions, so that every record is what the workflows
would have made of it. Loaded once by demo/ps_demo_story_demo.xml; a second run creates
nothing."""
import base64
import logging
import random
from datetime import timedelta

from odoo import Command, api, fields, models

_logger = logging.getLogger(__name__)

LOADED_PARAM = "ps_demo.story_loaded_on"
SEED = 2026
PAST_WEEKS = 13
FUTURE_WEEKS = 4
PDF = base64.b64encode(b"%PDF-1.4\n% PS Suite demo document\n").decode()

# login = password (readme/USAGE.md)
USERS = [
    # key, name, login, groups
    ("pm", "Nora Lindqvist", "nora",
     "ps_base.group_ps_project_manager,project.group_project_manager,"
     "project.group_project_stages,hr_timesheet.group_hr_timesheet_approver,"
     "sales_team.group_sale_salesman,hr_expense.group_hr_expense_team_approver"),
    ("rm", "Ravi Menon", "ravi",
     "ps_base.group_ps_resource_manager,project.group_project_user,"
     "hr_timesheet.group_hr_timesheet_user"),
    ("finance", "Farah Haddad", "farah",
     "ps_base.group_ps_finance,account.group_account_invoice,"
     "sales_team.group_sale_salesman_all_leads,hr_timesheet.group_hr_timesheet_approver"),
    ("sales", "Samuel Okafor", "samuel",
     "sales_team.group_sale_salesman,ps_base.group_ps_user"),
    ("sales_manager", "Marta Kowalska", "marta",
     "sales_team.group_sale_manager,ps_base.group_ps_user"),
    ("chen", "Chen Wei", "chen",
     "ps_base.group_ps_user,hr_timesheet.group_hr_timesheet_user"),
    ("lucas", "Lucas Moreau", "lucas",
     "ps_base.group_ps_user,hr_timesheet.group_hr_timesheet_user"),
]

# practice, name, job, user key, skills {skill: level}, billable hours a day on the
# practice's time & materials project (0: internal work only)
EMPLOYEES = [
    ("digital", "Priya Raman", "Practice Lead, Digital Strategy", None,
     {"Strategy": "Expert", "Workshop facilitation": "Expert"}, 1.0),
    ("digital", "Chen Wei", "Senior Consultant", "chen",
     {"Strategy": "Advanced", "Workshop facilitation": "Advanced", "Change management":
      "Intermediate"}, 4.0),
    ("digital", "Amira Haddou", "Consultant", None,
     {"Strategy": "Intermediate", "Change management": "Advanced"}, 4.0),
    ("digital", "Jonas Berg", "Consultant", None,
     {"Workshop facilitation": "Intermediate", "Change management": "Intermediate"}, 2.0),
    ("digital", "Lucas Moreau", "Junior Consultant", "lucas",
     {"Strategy": "Beginner", "Workshop facilitation": "Beginner"}, 2.0),
    ("data", "Elena Petrova", "Practice Lead, Data Engineering", None,
     {"Python": "Expert", "SQL": "Expert", "Data modelling": "Expert"}, 1.0),
    ("data", "Mateo Alvarez", "Senior Data Engineer", None,
     {"Python": "Advanced", "SQL": "Expert", "Spark": "Advanced"}, 3.0),
    ("data", "Sofia Rossi", "Data Engineer", None,
     {"Python": "Advanced", "SQL": "Advanced", "Power BI": "Intermediate"}, 2.0),
    ("data", "Yuki Tanaka", "Data Engineer", None,
     {"SQL": "Advanced", "Spark": "Expert", "Data modelling": "Advanced"}, 0.0),
    ("data", "Oskar Nilsson", "BI Analyst", None,
     {"Power BI": "Expert", "SQL": "Intermediate"}, 2.0),
]
LEVELS = [("Beginner", 25), ("Intermediate", 50), ("Advanced", 75), ("Expert", 100)]


class PsDemoStory(models.AbstractModel):
    _name = "ps.demo.story"
    _description = "PS Suite Demo Story"

    @api.model
    def _load(self):
        """Load the story once: returns its main records, or False when it is already
        loaded (the date it was loaded is in the system parameter ps_demo.story_loaded_on;
        a second run would duplicate people and orders, so it creates nothing)."""
        Param = self.env["ir.config_parameter"].sudo()
        loaded_on = Param.get_param(LOADED_PARAM)
        if loaded_on:
            _logger.info("ps_demo: the demo story was loaded on %s; nothing to do.", loaded_on)
            return False
        # the story acts as the people it creates, and as the system for the scheduled work
        story = _Story(self.env(su=True, context=dict(
            self.env.context, tracking_disable=True, mail_create_nolog=True,
            mail_notrack=True, mail_create_nosubscribe=True)))
        story.run()
        Param.set_param(LOADED_PARAM, fields.Date.to_string(story.today))
        return story.records


class _Story:  # pylint: disable=too-many-instance-attributes
    """One run of the story: the records it made are in ``records`` (for the tests); its
    chapters hand what they made to the next ones through its attributes."""

    def __init__(self, env):
        self.env = env
        self.rng = random.Random(SEED)
        self.today = fields.Date.context_today(env["res.partner"])
        self.monday = self.today - timedelta(days=self.today.weekday())
        self.start = self.monday - timedelta(weeks=PAST_WEEKS)
        self.end = self.monday + timedelta(weeks=FUTURE_WEEKS) - timedelta(days=1)
        self.company = env.company
        self.records = {}

    def run(self):
        self._firm()
        self._catalog()
        self._sales()
        self._handoffs()
        self._staffing()
        self._time()
        self._expenses()
        self._billing()
        self._governance()

    # ------------------------------------------------------------------
    # People
    # ------------------------------------------------------------------
    def _firm(self):
        env = self.env
        if not self.company.chart_template:
            # invoices need a chart of accounts: Odoo's generic one, as Odoo's own tests do
            env["account.chart.template"].try_loading("generic_coa", self.company,
                                                      install_demo=False)
        standard = self.company.resource_calendar_id
        part_time = env["resource.calendar"].create({
            "name": "Four days a week (32 h)", "company_id": self.company.id,
            "attendance_ids": [
                Command.create({"name": f"{day} {part}", "dayofweek": str(index),
                                "hour_from": start, "hour_to": stop, "day_period": part})
                for index, day in enumerate(["Monday", "Tuesday", "Wednesday", "Thursday"])
                for part, start, stop in (("morning", 8, 12), ("afternoon", 13, 17))]})
        users = {}
        for key, name, login, groups in USERS:
            group_ids = [self.env.ref(xmlid).id for xmlid in groups.split(",")]
            users[key] = env["res.users"].with_context(no_reset_password=True).create({
                "name": name, "login": login, "password": login,
                "email": f"{login}@ps-demo.example.com",
                "company_id": self.company.id, "company_ids": [Command.set(self.company.ids)],
                "groups_id": [Command.set([env.ref("base.group_user").id, *group_ids])]})
        self.users = users
        # the skills of the firm
        skill_names = sorted({skill for *_x, skills, _h in EMPLOYEES for skill in skills})
        skill_type = env["hr.skill.type"].create({
            "name": "Consulting and Data",
            "skill_ids": [Command.create({"name": name}) for name in skill_names],
            "skill_level_ids": [Command.create({"name": name, "level_progress": progress,
                                                "default_level": progress == 25})
                                for name, progress in LEVELS]})
        skills = {skill.name: skill for skill in skill_type.skill_ids}
        levels = {level.name: level for level in skill_type.skill_level_ids}
        self.skill_type, self.skills, self.levels = skill_type, skills, levels
        # the two practices
        Department = env["hr.department"]
        self.departments = {
            "digital": Department.create({"name": "Digital Strategy",
                                          "company_id": self.company.id}),
            "data": Department.create({"name": "Data Engineering",
                                       "company_id": self.company.id}),
        }
        Employee = env["hr.employee"]
        staff = Employee.create([{
            "name": users[key].name, "user_id": users[key].id, "company_id": self.company.id,
            "job_title": title, "resource_calendar_id": standard.id, "hourly_cost": 60.0,
        } for key, title in (("pm", "Engagement Manager"), ("rm", "Resource Manager"),
                             ("finance", "Finance Controller"), ("sales", "Account Executive"),
                             ("sales_manager", "Head of Sales"))])
        self.staff = dict(zip(("pm", "rm", "finance", "sales", "sales_manager"), staff,
                              strict=True))
        employees = {}
        for practice, name, title, user_key, employee_skills, _hours in EMPLOYEES:
            lead = employees.get(f"lead:{practice}")
            employee = Employee.create({
                "name": name, "job_title": title, "company_id": self.company.id,
                "department_id": self.departments[practice].id,
                "user_id": users[user_key].id if user_key else False,
                "parent_id": lead.id if lead else self.staff["pm"].id,
                "coach_id": self.staff["pm"].id,
                # Jonas works four days a week
                "resource_calendar_id": (part_time if name == "Jonas Berg" else standard).id,
                "hourly_cost": 45.0 + 5 * len(employee_skills),
                "employee_skill_ids": [Command.create({
                    "skill_type_id": skill_type.id, "skill_id": skills[skill].id,
                    "skill_level_id": levels[level].id})
                    for skill, level in employee_skills.items()]})
            employees[name] = employee
            if not lead:
                employees[f"lead:{practice}"] = employee
                self.departments[practice].manager_id = employee
        self.employees = {name: e for name, e in employees.items() if ":" not in name}
        self.records.update(users=users, departments=self.departments,
                            employees=self.employees, skill_type=skill_type)

    # ------------------------------------------------------------------
    # What the firm sells, and to whom
    # ------------------------------------------------------------------
    def _catalog(self):
        env = self.env
        pm = self.users["pm"]
        sow = env.ref("ps_handoff.document_type_sow")
        po_doc = env.ref("ps_handoff.document_type_po")
        self.sow, self.po_doc = sow, po_doc
        categories, templates, products = {}, {}, {}
        for practice, label, price, cost, items, tasks, roles in (
            ("digital", "Digital Strategy", 150.0, 70.0,
             ["scope_summary", "pricing_model", "budget", "date_start", "date_end",
              "milestones", sow],
             [("Internal kickoff", 2, "project_manager"),
              ("Client kickoff workshop", 7, "project_manager"),
              ("Send the welcome pack", 3, "account_owner")],
             [("Engagement lead", 8, 12, "Strategy"),
              ("Workshop facilitator", 16, 8, "Workshop facilitation")]),
            ("data", "Data Engineering", 140.0, 65.0,
             ["scope_summary", "budget", "date_start", "po_number", po_doc],
             [("Access to source systems", 5, "project_manager")],
             [("Data engineer", 30, 10, "Python, SQL"), ("BI analyst", 16, 8, "Power BI")]),
        ):
            category = env["product.category"].create({"name": f"{label} Services"})
            project_template = env["project.project"].create({
                "name": f"{label} engagement (template)", "user_id": pm.id,
                "task_ids": [Command.create({"name": name}) for name in (
                    ("Current-state assessment", "Target operating model", "Roadmap")
                    if practice == "digital"
                    else ("Source systems inventory", "Pipeline build", "Dashboards"))]})
            templates[practice] = env["ps.handoff.template"].create({
                "name": label, "sequence": 5, "project_template_id": project_template.id,
                "company_id": self.company.id,
                "product_categ_ids": [Command.set(category.ids)],
                "item_ids": [Command.create(
                    {"kind": "document", "document_type_id": item.id,
                     "responsible": "account_owner"} if not isinstance(item, str) else
                    {"kind": "field", "field_name": item,
                     "responsible": "project_manager" if item.startswith("date")
                     or item == "milestones" else "account_owner"}) for item in items],
                "task_ids": [Command.create({"name": name, "days_after_confirmation": days,
                                             "role": role}) for name, days, role in tasks],
                "staffing_ids": [Command.create({"role": role, "hours_per_week": hours,
                                                 "weeks": weeks, "skills": skills})
                                 for role, hours, weeks, skills in roles]})
            products[practice] = env["product.product"].create({
                "name": f"{label} consulting (hour)", "type": "service",
                "categ_id": category.id, "invoice_policy": "delivery",
                "service_type": "timesheet", "service_tracking": "project_only",
                "project_template_id": project_template.id,
                "uom_id": env.ref("uom.product_uom_hour").id,
                "uom_po_id": env.ref("uom.product_uom_hour").id,
                "list_price": price, "standard_price": cost,
                "taxes_id": [Command.clear()]})
            categories[practice] = category
        products["fixed"] = env["product.product"].create({
            "name": "Discovery workshop (fixed fee)", "type": "service",
            "invoice_policy": "order", "service_tracking": "no", "list_price": 6000.0,
            "standard_price": 2500.0, "taxes_id": [Command.clear()]})
        products["travel"] = env["product.product"].create({
            "name": "Client travel", "type": "service", "can_be_expensed": True,
            "standard_price": 0.0, "supplier_taxes_id": [Command.clear()]})
        self.templates, self.products = templates, products
        belgium = env.ref("base.be")
        customers = env["res.partner"].create([{
            "name": name, "is_company": True, "street": street, "city": city,
            "zip": zip_code, "country_id": belgium.id,
            "email": f"finance@{name.split()[0].lower()}.example.com",
        } for name, street, city, zip_code in (
            ("Aurora Bank", "1 Rue Royale", "Brussels", "1000"),
            ("Helios Retail", "45 Meir", "Antwerp", "2000"),
            ("Kestrel Logistics", "8 Havenlaan", "Ghent", "9000"),
            ("Nordvik Energy", "3 Quai de la Batte", "Liège", "4000"))])
        self.customers = dict(zip(("aurora", "helios", "kestrel", "nordvik"), customers,
                                  strict=True))
        # a bank: a regulated client (ps_approvals)
        self.customers["aurora"].ps_is_regulated = True
        env["res.partner"].create([{
            "name": name, "parent_id": self.customers[key].id, "type": "contact",
            "function": function, "email": f"{name.split()[0].lower()}@{key}.example.com"}
            for key, name, function in (
                ("aurora", "Inès Dubois", "Chief Data Officer"),
                ("helios", "Pieter Claes", "Head of E-commerce"),
                ("kestrel", "Hanne Peeters", "Operations Director"),
                ("nordvik", "Erik Lund", "IT Manager"))])
        self.records.update(customers=self.customers, templates=templates, products=products)

    # ------------------------------------------------------------------
    # Pipeline, quotes, orders
    # ------------------------------------------------------------------
    def _order(self, customer, product, qty, **values):
        sales = self.users["sales"]
        return self.env["sale.order"].with_user(sales).create({
            "partner_id": self.customers[customer].id, "user_id": sales.id,
            "payment_term_id": self.env.ref("account.account_payment_term_30days").id,
            "order_line": [Command.create({"product_id": self.products[product].id,
                                           "product_uom_qty": qty,
                                           "discount": values.pop("discount", 0.0)})],
            **values})

    def _sales(self):
        env = self.env
        sales = self.users["sales"]
        leads = env["crm.lead"].create([{
            "name": name, "type": "opportunity", "partner_id": self.customers[customer].id,
            "expected_revenue": revenue, "probability": probability,
            "ps_handoff_template_id": self.templates[practice].id, "user_id": sales.id,
            "date_deadline": self.today + timedelta(days=days),
        } for name, customer, practice, revenue, probability, days in (
            ("Aurora Bank: regulatory data lineage", "aurora", "data", 85000, 80, 21),
            ("Helios Retail: loyalty analytics", "helios", "data", 42000, 90, 35),
            ("Kestrel Logistics: digital operating model", "kestrel", "digital", 38000, 75, 28),
            ("Nordvik Energy: AI strategy discovery", "nordvik", "digital", 15000, 20, 60))])
        # automation rules start once the registry is loaded: sync the pipeline as they would
        leads._ps_sync_capacity_needs()
        self.leads = leads

        # a quote discounted above the policy (15%): held for the sales manager
        held = self._order("helios", "digital", 120, discount=25.0,
                           client_order_ref="HR-2026-77")
        held.with_user(sales).action_ps_request_approval()
        # a large order (above 50,000): approved by the sales manager, then finance, then
        # confirmed by the salesperson. Approval is requested explicitly: while modules
        # install, the gated buttons are not wrapped yet (ps_base registers them once the
        # registry is loaded) and only the guard on the state would answer.
        large = self._order("aurora", "digital", 750, client_order_ref="AB-PO-5521")
        large.with_user(sales).action_ps_request_approval()
        large.with_user(self.users["sales_manager"]).action_ps_approve()
        large.with_user(self.users["finance"]).action_ps_approve()
        large.with_user(sales).action_confirm()
        # orders below every threshold: confirmed at once
        kestrel = self._order("kestrel", "data", 300, client_order_ref="KL-4410")
        helios = self._order("helios", "digital", 120)
        # a data order whose customer PO expired last week: blocked for billing
        nordvik = self._order("nordvik", "data", 200, ps_po_number="NE-PO-0042",
                              ps_po_valid_until=self.today - timedelta(days=5),
                              ps_po_ceiling=30000.0, client_order_ref="NE-PO-0042")
        fixed = [self._order(customer, "fixed", 1, client_order_ref=f"WS-{index}")
                 for index, customer in enumerate(("aurora", "helios", "nordvik"), 1)]
        orders = kestrel | helios | nordvik
        for order in fixed:
            orders |= order
        orders.with_user(sales).action_confirm()
        # the story goes on as the system, the people acting through with_user
        held, large, kestrel, helios, nordvik, *fixed = (
            order.with_env(env) for order in (held, large, kestrel, helios, nordvik, *fixed))
        (large | kestrel | helios | nordvik).project_ids.write(
            {"user_id": self.users["pm"].id, "allow_timesheets": True})
        self.orders = {"held": held, "aurora": large, "kestrel": kestrel, "helios": helios,
                       "nordvik": nordvik, "fixed": fixed}
        self.records.update(leads=leads, orders=self.orders)

    # ------------------------------------------------------------------
    # Handoffs: one started, one missing items, one with a kickoff exception
    # ------------------------------------------------------------------
    def _handoffs(self):
        env = self.env
        pm = self.users["pm"]
        Milestone = env["project.milestone"]
        started_stage = env.ref("project.project_project_stage_1")
        handoffs = {key: self.orders[key].ps_handoff_id
                    for key in ("aurora", "kestrel", "helios", "nordvik")}
        for key, milestones in (
            ("aurora", [("Current-state assessment", -8, True),
                        ("Target operating model", -3, True),
                        ("Roadmap sign-off", 3, False)]),
            ("kestrel", [("Source systems connected", -6, True),
                         ("Pipelines in production", 2, False)]),
        ):
            Milestone.create([{
                "name": name, "project_id": handoffs[key].project_id.id,
                "deadline": self.monday + timedelta(weeks=weeks), "is_reached": reached,
            } for name, weeks, reached in milestones])
        # the delivery lead fills in the checklist with what sales and delivery know
        for key, budget, pricing in (("aurora", 112500.0, "time_materials"),
                                     ("kestrel", 42000.0, "time_materials")):
            handoff = handoffs[key]
            document_type = self.sow if key == "aurora" else self.po_doc
            handoff.with_user(pm).write({
                "scope_summary": "Scope as sold: see the statement of work.",
                "pricing_model": pricing, "budget": budget,
                "po_number": handoff.po_number or self.orders[key].client_order_ref,
                "document_ids": [Command.create({
                    "document_type_id": document_type.id, "file": PDF,
                    "file_name": f"{document_type.name} {handoff.order_id.name}.pdf"})]})
            handoff.with_user(pm).write({
                "date_start": self.start, "date_end": self.end + timedelta(weeks=8)})
        self._kickoff(handoffs["aurora"] | handoffs["kestrel"])
        (handoffs["aurora"] | handoffs["kestrel"]).project_id.with_user(pm).write(
            {"stage_id": started_stage.id})
        # Helios: only the scope so far
        handoffs["helios"].with_user(pm).write({
            "scope_summary": "Customer journey review and a twelve-month digital roadmap."})
        # Nordvik: the client wants to start before the signed PO is in
        handoffs["nordvik"].with_user(pm).write({
            "scope_summary": "Metering data pipelines and a BI layer.", "budget": 28000.0})
        exception = env["ps.kickoff.exception"].with_user(pm).create({
            "handoff_id": handoffs["nordvik"].id,
            "reason": "The client's data team is booked next week; the signed PO follows "
                      "within ten days."})
        exception.with_user(pm).action_submit()
        self.handoffs = handoffs
        self.records.update(handoffs=handoffs, kickoff_exception=exception)

    def _kickoff(self, handoffs):
        """The kickoff the automation rule "Handoff ready" runs, where it did not run
        (rules start once the registry is loaded, after the installation)."""
        done = set(self.env["ps.event"].search([
            ("event_type", "=", "handoff.completed"), ("res_model", "=", "ps.handoff"),
            ("res_id", "in", handoffs.ids)]).mapped("res_id"))
        handoffs.filtered(lambda h: h.id not in done and h.state == "complete")._on_complete()

    # ------------------------------------------------------------------
    # Staffing
    # ------------------------------------------------------------------
    def _staffing(self):
        env = self.env
        rm = self.users["rm"]
        Allocation = env["ps.staffing.allocation"]
        Request = env["ps.staffing.request"]
        employees = self.employees
        aurora = self.orders["aurora"].project_ids[:1]
        kestrel = self.orders["kestrel"].project_ids[:1]
        helios = self.orders["helios"].project_ids[:1]
        nordvik = self.orders["nordvik"].project_ids[:1]
        self.projects = {"aurora": aurora, "kestrel": kestrel, "helios": helios,
                         "nordvik": nordvik}
        # the quarter's bookings, below the utilization threshold of Settings
        booked = Allocation.create([{
            "employee_id": employees[name].id, "project_id": project.id,
            "date_start": self.start, "date_end": self.end, "hours_per_week": hours,
        } for name, project, hours in (
            ("Chen Wei", aurora, 24), ("Amira Haddou", aurora, 20), ("Jonas Berg", aurora, 12),
            ("Lucas Moreau", aurora, 12), ("Priya Raman", aurora, 6),
            ("Mateo Alvarez", kestrel, 16), ("Sofia Rossi", kestrel, 12),
            ("Oskar Nilsson", kestrel, 12), ("Elena Petrova", kestrel, 6))])
        booked.action_confirm()
        # a request ranked with its candidates, waiting for the resource manager's choice
        skill = self.skills
        ranked = Request.with_user(rm).create({
            "project_id": nordvik.id, "role": "Data engineer (Spark)", "hours_per_week": 24,
            "date_start": self.monday + timedelta(weeks=1),
            "date_end": self.monday + timedelta(weeks=FUTURE_WEEKS + 6),
            "priority": "1",
            "skill_line_ids": [Command.create({
                "skill_type_id": self.skill_type.id, "skill_id": skill[name].id,
                "min_level_id": self.levels[level].id})
                for name, level in (("Spark", "Advanced"), ("SQL", "Intermediate"))]})
        ranked.with_user(rm).action_submit()
        ranked.with_user(rm).action_rank_candidates()
        # a request filled: the facilitator booked for the Aurora workshops
        filled = Request.with_user(rm).create({
            "project_id": aurora.id, "role": "Workshop facilitator", "hours_per_week": 8,
            "date_start": self.monday - timedelta(weeks=4),
            "date_end": self.monday + timedelta(weeks=2) - timedelta(days=1),
            "skill_line_ids": [Command.create({
                "skill_type_id": self.skill_type.id,
                "skill_id": skill["Workshop facilitation"].id,
                "min_level_id": self.levels["Advanced"].id})]})
        filled.with_user(rm).action_submit()
        filled.with_user(rm).action_rank_candidates()
        facilitator = Allocation.with_user(rm).create({
            "employee_id": employees["Priya Raman"].id, "project_id": aurora.id,
            "request_id": filled.id, "date_start": filled.date_start,
            "date_end": filled.date_end, "hours_per_week": 8})
        facilitator.with_user(rm).action_confirm()
        # Chen asked on Helios too: above the threshold, the resource manager decides
        over = Allocation.with_user(self.users["pm"]).create({
            "employee_id": employees["Chen Wei"].id, "project_id": helios.id,
            "date_start": self.monday + timedelta(weeks=1),
            "date_end": self.end, "hours_per_week": 16})
        over.with_user(self.users["pm"]).action_ps_request_approval()
        # leave, approved after the bookings: one past, one ahead (a leave conflict)
        leave_type = env["hr.leave.type"].create({
            "name": "Paid time off (demo)", "requires_allocation": "no",
            "leave_validation_type": "no_validation", "request_unit": "day",
            "company_id": self.company.id})
        leaves = env["hr.leave"]
        for name, first, days in (("Amira Haddou", self.monday - timedelta(weeks=6), 2),
                                  ("Sofia Rossi", self.monday + timedelta(weeks=2), 5),
                                  ("Mateo Alvarez", self.monday - timedelta(weeks=9, days=-2),
                                   3)):
            leaves |= env["hr.leave"].create({
                "name": "Time off", "holiday_status_id": leave_type.id,
                "employee_id": employees[name].id, "request_date_from": first,
                "request_date_to": first + timedelta(days=days - 1)})
        leaves.filtered(lambda l: l.state != "validate").action_validate()
        self.leaves = leaves
        self.records.update(allocations=booked | facilitator, over_allocation=over,
                            ranked_request=ranked, filled_request=filled, leaves=leaves)

    # ------------------------------------------------------------------
    # Time
    # ------------------------------------------------------------------
    def _time(self):
        env = self.env
        internal = env["project.project"].create([{
            "name": f"{department.name}: practice development", "allow_timesheets": True,
            "user_id": self.users["pm"].id, "company_id": self.company.id,
        } for department in self.departments.values()])
        internal = dict(zip(self.departments, internal, strict=True))
        off = {(leave.employee_id.id, leave.request_date_from + timedelta(days=day))
               for leave in self.leaves
               for day in range((leave.request_date_to - leave.request_date_from).days + 1)}
        last_week = self.monday - timedelta(weeks=1)
        vals_list = []
        for practice, name, _title, _user, _skills, billable in EMPLOYEES:
            employee = self.employees[name]
            project = self.projects["aurora" if practice == "digital" else "kestrel"]
            weekdays = 4 if name == "Jonas Berg" else 5
            day = self.start
            while day < self.today:
                skip = (day.weekday() >= weekdays or (employee.id, day) in off
                        # Lucas has not logged last week's time yet
                        or (name == "Lucas Moreau" and last_week <= day < self.monday))
                if not skip:
                    hours = self.rng.choice((7.0, 7.5, 8.0, 8.0, 8.5))
                    if billable:
                        worked = min(hours, billable + self.rng.choice((-0.5, 0.0, 0.5)))
                        vals_list.append({
                            "name": self.rng.choice(("Client workshop", "Analysis",
                                                     "Working session", "Documentation",
                                                     "Steering committee preparation")),
                            "project_id": project.id, "employee_id": employee.id,
                            "date": day, "unit_amount": worked})
                        hours -= worked
                    vals_list.append({
                        "name": self.rng.choice(("Practice development", "Training",
                                                 "Proposal support", "Internal meeting")),
                        "project_id": internal[practice].id, "employee_id": employee.id,
                        "date": day, "unit_amount": hours})
                day += timedelta(days=1)
        Line = env["account.analytic.line"]
        lines = Line.create(vals_list)
        # everyone sends their time up to last week; the delivery lead approves all but
        # last week's
        past = lines.filtered(lambda l: l.date < self.monday)
        past.action_ps_submit_timesheets()
        past.filtered(lambda l: l.date < last_week).with_user(
            self.users["pm"]).action_ps_approve_timesheets()
        self.records.update(timesheets=lines, internal_projects=internal)

    # ------------------------------------------------------------------
    # Expenses
    # ------------------------------------------------------------------
    def _expenses(self):
        env = self.env
        travel = self.products["travel"]
        Expense = env["hr.expense"]
        mateo = self.employees["Mateo Alvarez"]
        chen = self.employees["Chen Wei"]
        taxi_day = self.monday - timedelta(weeks=2, days=-1)
        # the same taxi claimed twice: the duplicate-expense advisory finds it
        duplicates = Expense.create([{
            "name": "Taxi to the Kestrel depot", "employee_id": mateo.id,
            "product_id": travel.id, "total_amount_currency": 38.5, "date": taxi_day,
            "payment_mode": "own_account", "tax_ids": [Command.clear()]} for _i in range(2)])
        # a report without receipts: held by the expense policy for Chen's manager
        expenses = Expense.create([{
            "name": name, "employee_id": chen.id, "product_id": travel.id,
            "total_amount_currency": amount, "date": self.monday - timedelta(days=days),
            "payment_mode": "own_account", "tax_ids": [Command.clear()]}
            for name, amount, days in (("Train to the Aurora workshop", 240.0, 9),
                                       ("Hotel, two nights", 310.0, 8))])
        sheet = env["hr.expense.sheet"].create({
            "name": "Aurora workshops, travel", "employee_id": chen.id,
            "expense_line_ids": [Command.set(expenses.ids)]})
        sheet.with_user(self.users["chen"]).action_submit_sheet()
        sheet.with_user(self.users["chen"]).action_ps_request_approval()
        self.records.update(duplicate_expenses=duplicates, expense_sheet=sheet)

    # ------------------------------------------------------------------
    # Billing
    # ------------------------------------------------------------------
    def _billing(self):
        env = self.env
        finance = self.users["finance"]
        # the fixed-fee workshops: invoiced and posted
        posted = env["account.move"]
        for order in self.orders["fixed"]:
            posted |= order._create_invoices()
        posted.action_post()
        # Aurora's approved time: above the release amount, waiting for the project
        # manager and finance
        held = self.orders["aurora"]._create_invoices()
        held.with_user(finance).action_ps_request_approval()
        orders = env["sale.order"].browse([
            order.id for key, order in self.orders.items() if key not in ("held", "fixed")
        ] + [order.id for order in self.orders["fixed"]])
        readiness = env["ps.billing.readiness"]._refresh_orders(orders)
        self.records.update(posted_invoices=posted, held_invoice=held, readiness=readiness)

    # ------------------------------------------------------------------
    # Governance: the scheduled work, once
    # ------------------------------------------------------------------
    def _governance(self):
        env = self.env
        endpoint = env["ps.webhook.endpoint"].create({
            "name": "n8n (example, switched off)",
            "url": "https://n8n.example.com/webhook/ps-suite",
            "event_types": "handoff.*,approval.*", "active": False})
        env["ps.staffing.allocation"]._cron_leave_conflicts()
        env["ps.staffing.allocation"]._cron_close_and_warn_expiring()
        env["ps.staffing.allocation"]._cron_bench_sweep()
        env["ps.handoff"]._cron_escalate_stalled()
        Sweep = env["ps.billing.sweep"]
        Sweep._cron_missing_timesheets()
        Sweep._cron_stale_wip()
        Sweep._cron_uninvoiced_milestones()
        Sweep._cron_expiring_terms()
        Sweep._cron_retainer_consumption()
        env["ps.billing.advisory"]._cron_advisories()
        env["ps.approval.line"]._cron_schedule_activities()
        # the scorecard of every week of the quarter (its trend, and the history the
        # anomaly advisor compares the latest week with), then this week's as the cron does
        definitions = env["ps.kpi.definition"].search([("active", "=", True)])
        for weeks in range(PAST_WEEKS, 0, -1):
            env["ps.kpi.value"]._ps_snapshot(definitions,
                                             day=self.monday - timedelta(weeks=weeks))
        env["ps.kpi.value"]._cron_snapshot()
        env["ps.advisor"]._cron_advise()
        env["ps.exception"]._cron_aging()
        env["ps.audit.verification"]._cron_verify()
        self.records.update(webhook_endpoint=endpoint)
