/** @odoo-module */

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// A project manager completes a handoff's checklist and starts the project.
registry.category("web_tour.tours").add("ps_handoff_complete_and_start", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open Professional Services",
            trigger: '.o_app[data-menu-xmlid="ps_base.ps_root_menu"]',
            run: "click",
        },
        {
            content: "Open the Handoffs section",
            trigger: '.o_menu_sections [data-menu-xmlid="ps_handoff.ps_handoff_section_menu"]',
            run: "click",
        },
        {
            content: "Open my handoffs",
            trigger: '.o-dropdown-item[data-menu-xmlid="ps_handoff.ps_handoff_menu"]',
            run: "click",
        },
        {
            content: "The handoff waits in Collecting with what is missing",
            trigger: ".o_kanban_record:contains(PS Tour Customer):contains(Scope summary)",
            run: "click",
        },
        {
            content: "What is missing is listed",
            trigger: ".o_form_view .alert-warning:contains(Budget)",
        },
        {
            content: "Write the scope",
            trigger: ".o_form_view .o_field_widget[name=scope_summary] textarea",
            run: "edit Finance and sales modules, data migration of two years",
        },
        {
            content: "Give the budget",
            trigger: ".o_form_view .o_field_widget[name=budget] input",
            run: "edit 30000",
        },
        {
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "Nothing is missing any more: ready to start",
            trigger: ".o_form_view .o_statusbar_status [aria-checked=true]:contains(Ready to Start)",
        },
        {
            content: "Open the project",
            trigger: ".o_form_view button[name=action_open_project]",
            run: "click",
        },
        {
            content: "Start it",
            trigger: ".o_form_view .o_statusbar_status button:contains(In Progress)",
            run: "click",
        },
        {
            content: "The project is in progress",
            trigger: ".o_form_view .o_statusbar_status [aria-checked=true]:contains(In Progress)",
        },
        {
            content: "Back to the handoff",
            trigger: ".o_breadcrumb .o_back_button a, .o_breadcrumb .breadcrumb-item:last-child a",
            run: "click",
        },
        {
            content: "The handoff is started",
            trigger: ".o_form_view .o_statusbar_status [aria-checked=true]:contains(Started)",
        },
    ],
});
