/** @odoo-module */

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("ps_approvals_approve_quote_from_inbox", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open Professional Services",
            trigger: '.o_app[data-menu-xmlid="ps_base.ps_root_menu"]',
            run: "click",
        },
        {
            content: "Open the Approvals section",
            trigger: '.o_menu_sections [data-menu-xmlid="ps_base.ps_approvals_section_menu"]',
            run: "click",
        },
        {
            content: "Open My Approvals",
            trigger: '.o-dropdown-item[data-menu-xmlid="ps_base.ps_approval_line_menu_my"]',
            run: "click",
        },
        {
            content: "The quote waits for me, shown as a sales order",
            trigger: ".o_list_view .o_data_row:contains(PS-TOUR-QUOTE):contains(Sales Order)",
        },
        {
            content: "Approve it from the list",
            trigger: ".o_list_view .o_data_row:contains(PS-TOUR-QUOTE) button[name=action_approve]",
            run: "click",
        },
        {
            content: "Nothing waits any more",
            trigger: ".o_list_view:not(:has(.o_data_row:contains(PS-TOUR-QUOTE)))",
        },
    ],
});

registry.category("web_tour.tours").add("ps_approvals_documents", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            trigger: '.o_app[data-menu-xmlid="ps_base.ps_root_menu"]',
            run: "click",
        },
        {
            content: "Open the Approvals section",
            trigger: '.o_menu_sections [data-menu-xmlid="ps_base.ps_approvals_section_menu"]',
            run: "click",
        },
        {
            content: "Open the change orders",
            trigger: '.o-dropdown-item[data-menu-xmlid="ps_approvals.ps_change_order_menu"]',
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row:contains(PS-TOUR-ORDER) .o_data_cell[name=name]",
            run: "click",
        },
        {
            content: "The change order waits for the delivery lead and the account owner",
            trigger: ".o_form_view .alert-warning:contains(Waiting for approval)",
        },
        {
            trigger: ".o_form_view .o_notebook a:contains(Approvals)",
            run: "click",
        },
        {
            content: "Its approvals are listed",
            trigger: ".o_form_view .o_field_widget[name=ps_approval_line_ids] .o_data_row",
        },
        {
            content: "Open its sale order",
            trigger: ".o_form_view button[name=action_open_order]",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=ps_change_order_count]",
        },
        {
            content: "Open the Approvals section",
            trigger: '.o_menu_sections [data-menu-xmlid="ps_base.ps_approvals_section_menu"]',
            run: "click",
        },
        {
            content: "Open the budget changes",
            trigger: '.o-dropdown-item[data-menu-xmlid="ps_approvals.ps_budget_change_menu"]',
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row:contains(PS Tour Project) .o_data_cell[name=name]",
            run: "click",
        },
        {
            content: "The budget change shows its size against the original budget",
            trigger: ".o_form_view .o_field_widget[name=change_percent]:contains(25)",
        },
    ],
});
