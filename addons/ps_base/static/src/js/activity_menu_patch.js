import { ActivityMenu } from "@mail/core/web/activity_menu";
import { patch } from "@web/core/utils/patch";

/**
 * "My Approvals" in the activity menu of the systray (counts late / due today / future)
 * opens the approver's inbox of ps_base instead of a generic activity view.
 */
patch(ActivityMenu.prototype, {
    openActivityGroup(group, filter = "all") {
        if (group.model !== "ps.approval.line") {
            return super.openActivityGroup(...arguments);
        }
        this.dropdown.close();
        const context = {};
        if (filter === "overdue") {
            context.search_default_overdue = 1;
        }
        this.action.doAction("ps_base.ps_approval_line_action_my", {
            additionalContext: context,
            clearBreadcrumbs: true,
        });
    },
});
