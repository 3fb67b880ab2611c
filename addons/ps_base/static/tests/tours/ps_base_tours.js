/** @odoo-module */

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("ps_base_submit_request", {
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
            content: "Open Internal Requests",
            trigger: '.o-dropdown-item[data-menu-xmlid="ps_base.ps_request_menu"]',
            run: "click",
        },
        {
            trigger: ".o_control_panel .o_list_button_add, .o_control_panel .o-kanban-button-new",
            run: "click",
        },
        {
            content: "Describe the need",
            trigger: ".o_form_view .o_field_widget[name=title] input",
            run: "edit Tour licence",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=amount] input",
            run: "edit 4200",
        },
        {
            content: "Submit it",
            trigger: ".o_form_view .o_form_statusbar button[name=action_submit]",
            run: "click",
        },
        {
            content: "The request now waits for the manager",
            trigger: ".o_form_view .o_field_widget[name=ps_approval_state]:contains(Waiting for Approval)",
        },
    ],
});

registry.category("web_tour.tours").add("ps_base_approve_from_inbox", {
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
            content: "Open My Approvals",
            trigger: '.o-dropdown-item[data-menu-xmlid="ps_base.ps_approval_line_menu_my"]',
            run: "click",
        },
        {
            content: "Approve the request from the list",
            trigger: ".o_list_view .o_data_row:contains(Tour licence) button[name=action_approve]",
            run: "click",
        },
        {
            content: "Nothing waits any more",
            trigger: ".o_list_view:not(:has(.o_data_row:contains(Tour licence)))",
        },
    ],
});
