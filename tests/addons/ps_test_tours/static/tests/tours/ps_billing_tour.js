/** @odoo-module */

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const { DateTime } = luxon;

function openReadiness() {
    return [
        {
            content: "Open the Billing Readiness section",
            trigger: '.o_menu_sections [data-menu-xmlid="ps_billing_readiness.ps_billing_menu"]',
            run: "click",
        },
        {
            content: "Open the readiness of the orders",
            trigger: '.o-dropdown-item[data-menu-xmlid="ps_billing_readiness.ps_billing_readiness_menu"]',
            run: "click",
        },
    ];
}

// A finance controller opens a blocked order, sees its blockers (time not approved, the
// customer's PO expired), approves the time, renews the PO on the order, refreshes the
// readiness and creates the invoice (tests/test_role_tours.py builds the data).
registry.category("web_tour.tours").add("ps_test_tours_controller_invoices", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open Professional Services",
            trigger: '.o_app[data-menu-xmlid="ps_base.ps_root_menu"]',
            run: "click",
        },
        ...openReadiness(),
        {
            content: "The order is in the Blocked column",
            trigger: ".o_kanban_group:contains(Blocked) .o_kanban_record:contains(Tour Billing Customer)",
            run: "click",
        },
        {
            content: "It is blocked",
            trigger: ".o_form_view .o_statusbar_status [aria-checked=true]:contains(Blocked)",
        },
        {
            content: "Blocker: the customer's PO expired",
            trigger: ".o_field_widget[name=blocker_ids] .o_data_row:contains(PO-TOUR-7):contains(expired)",
        },
        {
            content: "Warning: time not approved, left out of the invoice",
            trigger: ".o_field_widget[name=blocker_ids] .o_data_row:contains(16.0 h not approved):contains(Timesheet Approval)",
        },
        {
            content: "Nothing can be invoiced yet",
            trigger: ".o_form_view .o_form_statusbar:not(:has(button[name=action_create_invoices]))",
        },
        // the time: Billing Readiness > Timesheet Approval, by employee and week
        {
            content: "Open the Billing Readiness section",
            trigger: '.o_menu_sections [data-menu-xmlid="ps_billing_readiness.ps_billing_menu"]',
            run: "click",
        },
        {
            content: "Open Timesheet Approval",
            trigger: '.o-dropdown-item[data-menu-xmlid="ps_billing_readiness.account_analytic_line_menu_approval"]',
            run: "click",
        },
        {
            content: "Open the consultant's time",
            trigger: ".o_list_view .o_group_header:contains(Tour Consultant)",
            run: "click",
        },
        {
            content: "Open the week",
            trigger: ".o_list_view .o_group_header.o_group_open:contains(Tour Consultant) + .o_group_header",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row:contains(Tour workshop, day 1) .o_list_record_selector input",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row:contains(Tour workshop, day 2) .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Approve both days",
            trigger: ".o_control_panel button[name=action_ps_approve_timesheets]",
            run: "click",
        },
        {
            content: "Nothing of the consultant waits for approval any more",
            trigger: ".o_list_view:not(:has(.o_data_row:contains(Tour workshop)))",
        },
        // the PO: the order, from its readiness
        ...openReadiness(),
        {
            trigger: ".o_kanban_record:contains(Tour Billing Customer)",
            run: "click",
        },
        {
            content: "Open the order",
            trigger: ".o_form_view button[name=action_open_order]",
            run: "click",
        },
        {
            content: "Renew the customer's PO",
            trigger: ".o_form_view .o_field_widget[name=ps_po_valid_until] input",
            run: `edit ${DateTime.now().plus({ years: 1 }).toFormat("MM/dd/yyyy")} && press Escape`,
        },
        {
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_view .o_form_saved",
        },
        {
            content: "Back to the readiness",
            trigger: ".o_breadcrumb .o_back_button a",
            run: "click",
        },
        {
            content: "Check the order again",
            trigger: ".o_form_view .o_form_statusbar button[name=action_refresh]",
            run: "click",
        },
        {
            content: "Ready: no blocker left",
            trigger: ".o_form_view .o_statusbar_status [aria-checked=true]:contains(Ready):not(:contains(Partially))",
        },
        {
            content: "The approved time is to invoice",
            trigger: ".o_form_view .o_field_widget[name=amount_to_invoice]:contains(1,600.00)",
        },
        {
            content: "Create the invoice",
            trigger: ".o_form_view .o_form_statusbar button[name=action_create_invoices]",
            run: "click",
        },
        {
            content: "The draft invoice is listed",
            trigger: ".o_list_view .o_data_row:contains(1,600.00):contains(Draft) .o_data_cell:first",
            run: "click",
        },
        {
            content: "It is the customer's, for the approved hours",
            trigger: ".o_form_view .o_field_widget[name=partner_id] input:value(Tour Billing Customer)",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=invoice_line_ids] .o_data_row:contains(Tour consulting hour):contains(16.00)",
        },
    ],
});
