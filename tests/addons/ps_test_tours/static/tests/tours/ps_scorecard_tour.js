/** @odoo-module */

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// An administrator opens the workflow scorecard: KPI cards, their trend graph and the list
// (tests/test_role_tours.py takes the snapshot first).
registry.category("web_tour.tours").add("ps_test_tours_admin_scorecard", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open Professional Services",
            trigger: '.o_app[data-menu-xmlid="ps_base.ps_root_menu"]',
            run: "click",
        },
        {
            content: "Open the Governance section",
            trigger: '.o_menu_sections [data-menu-xmlid="ps_governance.ps_governance_menu"]',
            run: "click",
        },
        {
            content: "Open the scorecard dashboard",
            trigger: '.o-dropdown-item[data-menu-xmlid="ps_governance.ps_kpi_value_menu_dashboard"]',
            run: "click",
        },
        {
            content: "The latest weekly values, by status: a KPI card",
            trigger: ".o_kanban_view .o_kanban_group .o_kanban_record:contains(Exceptions raised by kind)",
        },
        {
            content: "Its trend",
            trigger: ".o_control_panel .o_switch_view.o_graph",
            run: "click",
        },
        {
            content: "The graph is drawn",
            trigger: ".o_graph_renderer canvas",
        },
        {
            content: "The values as a list",
            trigger: ".o_control_panel .o_switch_view.o_list",
            run: "click",
        },
        {
            content: "Open the first status",
            trigger: ".o_list_view .o_group_header:first",
            run: "click",
        },
        {
            content: "Its KPI rows",
            trigger: ".o_list_view .o_data_row .o_data_cell[name=definition_id]",
        },
    ],
});
