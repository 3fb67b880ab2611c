"""Rows for every list behind ps_governance's menus (tests/test_clickbot.py calls populate).

The Governance menu is for project/resource managers, finance and administrators: the plain
PS user of the clickbot test sees none of it, so every row here is for the administrator."""


def populate(env, admin, ps_user):  # pylint: disable=unused-argument
    env = env(context=dict(env.context, tracking_disable=True))
    endpoint = env["ps.webhook.endpoint"].create({
        "name": "Clickbot receiver", "url": "http://127.0.0.1:9/clickbot",
        "event_types": "clickbot.*"})
    events = env["ps.event"].search([("event_type", "=", "clickbot.test")], limit=1) or \
        env["ps.event"]._emit("clickbot.test", admin)
    env["ps.webhook.delivery"].create({
        "endpoint_id": endpoint.id, "event_id": events[0].id,
        "company_id": events[0].company_id.id, "state": "failed", "attempts": 1,
        "last_error": "Connection refused (clickbot)"})
    events.write({"ps_dispatched": True})
    caller = env["ps.webhook.caller"].create({
        "name": "Clickbot n8n", "code": "clickbot-n8n", "user_id": admin.id,
        "action_ids": [(6, 0, env.ref("ps_governance.ps_webhook_action_exception_resolve").ids)],
    })
    env["ps.webhook.inbound.log"].create({
        "caller_id": caller.id, "event_id": "clickbot-1", "action_code": "exception.resolve",
        "state": "refused", "http_status": 401, "reason": "bad signature",
        "received_at": "2026-01-05 10:00:00"})
    env["ps.kpi.value"]._ps_snapshot(env["ps.kpi.definition"].search([]))
    if not env["ps.kpi.value"].search_count([]):
        definition = env.ref("ps_governance.kpi_exception_volume")
        env["ps.kpi.value"].create({
            "definition_id": definition.id, "period": "weekly", "period_start": "2026-01-05",
            "company_id": admin.company_id.id, "value": 1, "target": definition.target,
            "unit": "count", "status": "green", "is_latest": True})
    env["ps.audit.verification"]._ps_verify("manual")
    value = env["ps.kpi.value"].search([], limit=1)
    env["ps.advisory"].create({
        "advisor_id": env.ref("ps_governance.ps_advisor_zscore").id, "key": "clickbot",
        "name": "Clickbot: a KPI is unusually high", "body": "Constructed for the clickbot.",
        "score": 3.5, "severity": "warning", "res_model": "ps.kpi.value", "res_id": value.id,
        "inputs": f'["ps.kpi.value,{value.id}"]', "company_id": admin.company_id.id})
