package api

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/model"
)

// hookRoute receives webhook deliveries for triggers.
const hookRoute = "POST /api/v1/hooks/{hook}"

// Rules used by many routes.
var (
	public   = Access{Public: true}
	loggedIn = Access{On: OnCaller, Narrowed: "shows only what the caller may read"}
	readApp  = Access{Perm: auth.PermRead, On: OnAppPath}
	readExec = Access{Perm: auth.PermRead, On: OnExecutionPath}
)

func (s *Server) routes(rt *Router) {
	rt.HandleFunc("GET /healthz", public, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	rt.HandleFunc("GET /api/v1/openapi.json", public, s.openAPI)
	if reg := s.cfg.Registry; reg != nil {
		rt.Handle("GET /metrics", public, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	}

	// A webhook delivery carries no session or token: the handler checks
	// its signature with each trigger's secret (hooks.go).
	rt.HandleFunc(hookRoute, Access{Signed: true, Narrowed: "the body's signature with the secret of a trigger on the hook; the same 401 for an unknown hook and a bad signature"}, s.hook)

	rt.HandleFunc("GET /api/v1/whoami", loggedIn, s.whoami)
	rt.HandleFunc("POST /api/v1/auth/login-links", Access{On: OnCaller, Narrowed: "API tokens only: the link logs a browser in as the same token", Action: model.AuditLoginLink}, s.createLoginLink)

	rt.HandleFunc("GET /api/v1/config", loggedIn, s.getConfig)
	rt.HandleFunc("POST /api/v1/config", Access{Perm: auth.PermAdmin, On: OnCaller, Narrowed: "admin over every object applied (and, for an update, over the object as stored)", Action: model.AuditConfigApply}, s.applyConfig)
	rt.HandleFunc("POST /api/v1/config/validate", Access{On: OnCaller, Narrowed: "any caller with a grant"}, s.validateConfig)
	// The server reads the environments' kubeconfig files and reaches their
	// clusters with its own credentials: as much as applying them needs.
	rt.HandleFunc("POST /api/v1/config/check-targets", Access{Perm: auth.PermAdmin, On: OnGlobal}, s.checkTargets)
	rt.HandleFunc("GET /api/v1/applications", loggedIn, s.listApplications)
	rt.HandleFunc("GET /api/v1/applications/{name}", readApp, s.getApplication)
	rt.HandleFunc("GET /api/v1/environments", Access{On: OnCaller, Narrowed: "any caller with a grant"}, s.listEnvironments)
	rt.HandleFunc("GET /api/v1/pipelines", loggedIn, s.listPipelines)
	rt.HandleFunc("GET /api/v1/pipelines/{name}", Access{Perm: auth.PermRead, On: OnPipelinePath}, s.getPipeline)
	rt.HandleFunc("GET /api/v1/analysis-templates", Access{On: OnCaller, Narrowed: "any caller with a grant"}, s.listAnalysisTemplates)
	rt.HandleFunc("GET /api/v1/analysis-templates/{name}", Access{On: OnCaller, Narrowed: "any caller with a grant"}, s.getAnalysisTemplate)
	rt.HandleFunc("POST /api/v1/pipelines/{name}/executions", Access{Perm: auth.PermDeploy, On: OnPipelinePath, Narrowed: "deploy in every environment the pipeline deploys to before a manual judgment", Action: model.AuditRun}, s.runPipeline)
	rt.HandleFunc("GET /api/v1/executions", loggedIn, s.listExecutions)
	rt.HandleFunc("GET /api/v1/executions/{id}", readExec, s.getExecution)
	rt.HandleFunc("GET /api/v1/executions/{id}/stream", readExec, s.streamExecution)
	judge := Access{Perm: auth.PermApprove, On: OnExecutionPath, Narrowed: "approve in the environments the stage opens the way to; fourEyes environments refuse the execution's starter"}
	approve, reject := judge, judge
	approve.Action, reject.Action = model.AuditApprove, model.AuditReject
	rt.HandleFunc("POST /api/v1/executions/{id}/approve", approve, s.judge(model.DecisionApprove))
	rt.HandleFunc("POST /api/v1/executions/{id}/reject", reject, s.judge(model.DecisionReject))
	// Canary controls need what approving the canary's pause needs.
	promote, abort, retry := judge, judge, judge
	promote.Action, abort.Action, retry.Action = model.AuditPromote, model.AuditAbort, model.AuditRetry
	rt.HandleFunc("POST /api/v1/executions/{id}/promote", promote, s.control(model.DecisionPromote, model.AuditPromote))
	rt.HandleFunc("POST /api/v1/executions/{id}/abort", abort, s.control(model.DecisionAbort, model.AuditAbort))
	rt.HandleFunc("POST /api/v1/executions/{id}/retry", retry, s.retry)
	rt.HandleFunc("POST /api/v1/executions/{id}/cancel", Access{Perm: auth.PermDeploy, On: OnExecutionPath, Narrowed: "deploy in the environments running the pipeline needs", Action: model.AuditCancel}, s.cancel)
	rt.HandleFunc("GET /api/v1/triggers", loggedIn, s.listTriggers)
	pauseRule := Access{Perm: auth.PermDeploy, On: OnPipelinePath, Narrowed: "what running the pipeline needs: deploy in every environment it deploys to before a manual judgment", Action: model.AuditTriggerPause}
	resumeRule := pauseRule
	resumeRule.Action = model.AuditTriggerResume
	rt.HandleFunc("POST /api/v1/triggers/{app}/{pipeline}/{trigger}/pause", pauseRule, s.pauseTrigger(true))
	rt.HandleFunc("POST /api/v1/triggers/{app}/{pipeline}/{trigger}/resume", resumeRule, s.pauseTrigger(false))
	rt.HandleFunc("POST /api/v1/triggers/{app}/{pipeline}/{trigger}/test", Access{Perm: auth.PermRead, On: OnPipelinePath, Narrowed: "a dry run: starts nothing"}, s.testTrigger)
	rt.HandleFunc("GET /api/v1/events", loggedIn, s.listEvents)
	// Notifications read the server's secrets and name every application:
	// their status and test messages are for admins of everything.
	rt.HandleFunc("GET /api/v1/kpi", Access{On: OnCaller, Narrowed: "summarizes only the applications the caller may read"}, s.kpiReport)
	// SLOs (slo.go): like the KPIs, lists show only the applications the
	// caller may read; one SLO needs read on its application.
	rt.HandleFunc("GET /api/v1/slos", Access{On: OnCaller, Narrowed: "lists only the SLOs of applications the caller may read"}, s.listSLOs)
	rt.HandleFunc("GET /api/v1/slos/{name}", Access{On: OnCaller, Narrowed: "read on the SLO's application"}, s.getSLO)
	rt.HandleFunc("GET /api/v1/slos/{name}/sla", Access{On: OnCaller, Narrowed: "read on the SLO's application"}, s.getSLOSLA)
	rt.HandleFunc("GET /api/v1/sla", Access{On: OnCaller, Narrowed: "reports only the SLOs of applications the caller may read"}, s.listSLA)
	rt.HandleFunc("GET /api/v1/notifications", Access{Perm: auth.PermAdmin, On: OnGlobal}, s.listNotifications)
	rt.HandleFunc("POST /api/v1/notifications/{name}/test", Access{Perm: auth.PermAdmin, On: OnGlobal, Action: model.AuditNotificationTest}, s.testNotification)
	rt.HandleFunc("DELETE /api/v1/notifications/{name}", Access{Perm: auth.PermAdmin, On: OnGlobal, Action: model.AuditDelete}, s.deleteObject(model.KindNotification))
	rt.HandleFunc("GET /api/v1/stream", loggedIn, s.streamAll)
	// Incidents (incidents.go): recording or resolving one needs deploy on
	// its application in its environment; Alertmanager's webhook is a
	// token's bearer request like any other, checked alert by alert.
	rt.HandleFunc("GET "+incidentsRoute, loggedIn, s.listIncidents)
	rt.HandleFunc("GET "+incidentsRoute+"/{id}", Access{On: OnCaller, Narrowed: "read on the incident's application"}, s.getIncident)
	rt.HandleFunc("POST "+incidentsRoute, Access{Perm: auth.PermDeploy, On: OnCaller, Narrowed: "deploy on the incident's application in its environment", Action: model.AuditIncidentOpen}, s.openIncident)
	rt.HandleFunc("POST "+incidentsRoute+"/{id}/resolve", Access{Perm: auth.PermDeploy, On: OnCaller, Narrowed: "deploy on the incident's application in its environment", Action: model.AuditIncidentResolve}, s.resolveIncident)
	rt.HandleFunc(alertmanagerRoute, Access{Perm: auth.PermDeploy, On: OnCaller, Narrowed: "deploy on each alert's application in its environment: alerts the token may not record are refused one by one and listed in the answer", Action: model.AuditIncidentOpen}, s.alertmanager)
	deployIn := func(a model.AuditAction) Access {
		return Access{Perm: auth.PermDeploy, On: OnAppPath, Narrowed: "deploy in the environment named in the body", Action: a}
	}
	rt.HandleFunc("POST /api/v1/applications/{name}/deploy", deployIn(model.AuditDeploy), s.deploy())
	rt.HandleFunc("POST /api/v1/applications/{name}/rollback", deployIn(model.AuditRollback), s.rollback())
	rt.HandleFunc("POST /api/v1/applications/{name}/adopt", deployIn(model.AuditAdopt), s.adopt())
	rt.HandleFunc("GET /api/v1/applications/{name}/status", readApp, s.status)
	rt.HandleFunc("GET /api/v1/applications/{name}/logs", readApp, s.logs)
	rt.HandleFunc("GET /api/v1/executions/{id}/analysis", readExec, s.analysis)
	rt.HandleFunc("POST /api/v1/executions/{id}/analysis/replay", readExec, s.replayAnalysis)

	// Deleting removes the object with what it runs (?dryRun=true lists it).
	deleteOn := func(on Target, narrowed string) Access {
		return Access{Perm: auth.PermAdmin, On: on, Narrowed: narrowed, Action: model.AuditDelete}
	}
	rt.HandleFunc("DELETE /api/v1/applications/{name}", deleteOn(OnAppPath, ""), s.deleteObject(model.KindApplication))
	rt.HandleFunc("DELETE /api/v1/pipelines/{name}", deleteOn(OnPipelinePath, ""), s.deleteObject(model.KindPipeline))
	rt.HandleFunc("DELETE /api/v1/environments/{name}", deleteOn(OnGlobal, "admin over everything: an environment is shared by every application"), s.deleteObject(model.KindEnvironment))
	rt.HandleFunc("DELETE /api/v1/slos/{name}", deleteOn(OnSLOPath, ""), s.deleteObject(model.KindSLOStored))

	rt.HandleFunc("GET /api/v1/tokens", Access{Perm: auth.PermAdmin, On: OnCaller, Narrowed: "tokens within the caller's admin scope, and the caller's own"}, s.listTokens)
	rt.HandleFunc("POST /api/v1/tokens", Access{Perm: auth.PermAdmin, On: OnCaller, Narrowed: "admin over the new token's scope", Action: model.AuditTokenCreate}, s.createToken)
	rt.HandleFunc("DELETE /api/v1/tokens/{name}", Access{On: OnCaller, Narrowed: "admin over the token's scope, its creator, or the token itself", Action: model.AuditTokenRevoke}, s.revokeToken)
	rt.HandleFunc("GET /api/v1/audit", Access{Perm: auth.PermAdmin, On: OnGlobal}, s.listAudit)
	rt.HandleFunc("GET /api/v1/audit/verify", Access{Perm: auth.PermAdmin, On: OnGlobal}, s.verifyAudit)
}
