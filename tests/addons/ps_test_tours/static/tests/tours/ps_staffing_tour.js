/** @odoo-module */

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// A resource manager ranks the candidates of a submitted staffing request, reads the parts
// of their scores and allocates the best one (tests/test_role_tours.py builds the data).
registry.category("web_tour.tours").add("ps_test_tours_resource_manager_allocates", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open Professional Services",
            trigger: '.o_app[data-menu-xmlid="ps_base.ps_root_menu"]',
            run: "click",
        },
        {
            content: "Open the Staffing section",
            trigger: '.o_menu_sections [data-menu-xmlid="ps_staffing.ps_staffing_menu"]',
            run: "click",
        },
        {
            content: "Open the staffing requests",
            trigger: '.o-dropdown-item[data-menu-xmlid="ps_staffing.ps_staffing_request_menu"]',
            run: "click",
        },
        {
            content: "The submitted request waits to be staffed",
            trigger: ".o_list_view .o_data_row:contains(Tour data engineer):contains(Submitted) .o_data_cell[name=role]",
            run: "click",
        },
        {
            content: "Rank the candidates",
            trigger: ".o_form_view .o_form_statusbar button[name=action_rank_candidates]",
            run: "click",
        },
        {
            content: "Ranked: the request is proposed and its candidates are listed",
            trigger: ".o_form_view .o_statusbar_status [aria-checked=true]:contains(Proposed)",
        },
        {
            trigger: ".o_form_view .o_notebook .nav-link:contains(Candidates)",
            run: "click",
        },
        {
            content: "The parts of each score are shown",
            trigger: ".o_field_widget[name=candidate_ids] thead:contains(Skills):contains(Availability):contains(Utilization):contains(Location)",
        },
        {
            content: "The consultant with every skill and a free calendar ranks first",
            trigger: ".o_field_widget[name=candidate_ids] .o_data_row:first:contains(Ada Tour) .o_data_cell[name=skill_score]:contains(100.0)",
        },
        {
            content: "The busy consultant ranks below, for her availability",
            trigger: ".o_field_widget[name=candidate_ids] .o_data_row:contains(Cleo Tour) .o_data_cell[name=availability_score]:not(:contains(100.0))",
        },
        {
            content: "Read why the best candidate ranks first",
            trigger: ".o_field_widget[name=candidate_ids] .o_data_row:first .o_data_cell[name=employee_id]",
            run: "click",
        },
        {
            content: "The explanation gives each part of the score",
            trigger: ".modal .o_field_widget[name=explanation]:contains(Skills 100/100):contains(Availability 100/100)",
        },
        {
            trigger: ".modal .modal-footer .btn:contains(Close), .modal .btn-close",
            run: "click",
        },
        {
            content: "Propose the best candidate",
            trigger: "body:not(:has(.modal)) .o_field_widget[name=candidate_ids] .o_data_row:first:contains(Ada Tour) button[name=action_propose]",
            run: "click",
        },
        {
            content: "A draft allocation of Ada on the project opens",
            trigger: ".o_form_view .o_field_widget[name=employee_id] input:value(Ada Tour)",
        },
        {
            content: "Her load stays under the threshold",
            trigger: ".o_form_view .o_field_widget[name=utilization_after]:contains(50)",
        },
        {
            content: "Confirm the allocation",
            trigger: ".o_form_view .o_form_statusbar button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The allocation is confirmed",
            trigger: ".o_form_view .o_statusbar_status [aria-checked=true]:contains(Confirmed)",
        },
    ],
});
