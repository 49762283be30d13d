package config

import (
	"reflect"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/trigger"
)

// The tables below are the shape rules both the decoder and the JSON Schema
// read, so the two cannot drift apart.

// specExcluded lists, per kind, model fields that are not written under spec
// and the hint given when someone writes them there anyway.
var specExcluded = map[string]map[string]string{
	model.KindApplication: {
		"name":   "the name comes from metadata.name",
		"labels": "labels go in metadata.labels",
	},
	model.KindEnvironment:  {"name": "the name comes from metadata.name"},
	model.KindPipeline:     {"name": "the name comes from metadata.name"},
	model.KindTeam:         {"name": "the name comes from metadata.name"},
	model.KindGrant:        {"name": "the name comes from metadata.name"},
	model.KindNotification: {"name": "the name comes from metadata.name"},
}

// typeExcluded lists, per model type, fields the server fills in that are
// never written in config, with the hint given when someone writes them.
var typeExcluded = map[reflect.Type]map[string]string{
	reflect.TypeFor[model.AnalysisStep](): {"resolved": "it is filled from templateRef when the pipeline runs: name an AnalysisTemplate in templateRef instead"},
}

// kindsWithLabels are the kinds whose model type keeps metadata.labels.
var kindsWithLabels = map[string]bool{model.KindApplication: true}

// fieldEnums lists the accepted values of enumerated fields, keyed by the Go
// type that holds the field and the field's YAML name.
var fieldEnums = map[reflect.Type]map[string][]string{
	reflect.TypeFor[model.TargetSpec](): {
		"kind":    {string(model.TargetLocal), string(model.TargetKubernetes)},
		"traffic": {string(model.TrafficReplicas), string(model.TrafficGateway)},
	},
	reflect.TypeFor[model.Strategy](): {"type": {
		string(model.StrategyHighlander), string(model.StrategyRedBlack),
		string(model.StrategyRolling), string(model.StrategyCanary),
	}},
	reflect.TypeFor[model.StageSpec](): {"onFailure": {
		string(model.OnFailureFail), string(model.OnFailureContinue), string(model.OnFailureRollback),
	}},
	reflect.TypeFor[model.CanarySpec]():   {"onInconclusive": {"pause", "rollback"}},
	reflect.TypeFor[model.AnalysisSpec](): {"judge": {model.JudgeMannWhitney, model.JudgeThreshold}},
	reflect.TypeFor[model.AnalysisMetric](): {
		"source":      {model.SourceFrontDoor, model.SourcePrometheus, model.SourceHTTP},
		"direction":   {string(model.DirectionIncrease), string(model.DirectionDecrease), string(model.DirectionEither)},
		"nanStrategy": {string(model.NaNRemove), string(model.NaNReplace)},
	},
	reflect.TypeFor[model.EffectSize]():  {"measure": {string(model.EffectMeanRatio), string(model.EffectCLES)}},
	reflect.TypeFor[model.OutlierSpec](): {"strategy": {"remove", "keep"}},
	reflect.TypeFor[model.PathMatch](): {"type": {
		string(model.PathPrefix), string(model.PathExact), string(model.PathRegularExpression),
	}},
	reflect.TypeFor[model.HeaderMatch]():    {"type": {string(model.HeaderExact), string(model.HeaderRegularExpression)}},
	reflect.TypeFor[model.Grant]():          {"role": roleNames()},
	reflect.TypeFor[model.EmailTarget]():    {"starttls": {model.StartTLSRequired, model.StartTLSOpportunistic, model.StartTLSNever}},
	reflect.TypeFor[model.WebhookTrigger](): {"provider": trigger.Providers},
	// What a schedule does with ticks missed while no server ran.
	reflect.TypeFor[model.ScheduleTrigger](): {"missed": {"skip", "runOnce"}},
	// The endings of an upstream execution (a list: each item is one of them).
	reflect.TypeFor[model.PipelineTrigger](): {"status": {
		string(model.ExecutionSucceeded), string(model.ExecutionFailed), string(model.ExecutionCanceled),
	}},
	// What the deploy policy does with an SLO never evaluated lately.
	reflect.TypeFor[model.SLOPolicy](): {"unknown": {"allow", "hold"}},
}

// roleNames lists model.Roles as strings.
func roleNames() []string {
	names := make([]string, len(model.Roles))
	for i, r := range model.Roles {
		names[i] = string(r)
	}
	return names
}

// secretOnly lists model.StringOrSecret fields that are always written as
// {secretRef: ...}, never inline (the validators say so with the fix; the
// schema offers only the reference).
var secretOnly = map[reflect.Type][]string{
	reflect.TypeFor[model.WebhookTrigger]():  {"secret"},
	reflect.TypeFor[model.RegistryTrigger](): {"password"},
	reflect.TypeFor[model.GitTrigger]():      {"password"},
}

// requiredFields lists fields that must be written when their parent is.
var requiredFields = map[reflect.Type][]string{
	reflect.TypeFor[metadata]():              {"name"},
	reflect.TypeFor[model.Pipeline]():        {"application", "stages"},
	reflect.TypeFor[model.Parameter]():       {"name"},
	reflect.TypeFor[model.StageSpec]():       {"name"},
	reflect.TypeFor[model.WaitStage]():       {"duration"},
	reflect.TypeFor[model.WebhookStage]():    {"url"},
	reflect.TypeFor[model.RollbackStage]():   {"environment"},
	reflect.TypeFor[model.CanarySpec]():      {"steps"},
	reflect.TypeFor[model.ParentRef]():       {"name"},
	reflect.TypeFor[model.PathMatch]():       {"value"},
	reflect.TypeFor[model.HeaderMatch]():     {"name", "value"},
	reflect.TypeFor[model.AnalysisMetric]():  {"name"},
	reflect.TypeFor[model.AnalysisGroup]():   {"name", "weight"},
	reflect.TypeFor[model.AnalysisCheck]():   {"name"},
	reflect.TypeFor[model.WebCheck]():        {"url"},
	reflect.TypeFor[model.JobCheck]():        {"spec"},
	reflect.TypeFor[model.Grant]():           {"role", "subjects"},
	reflect.TypeFor[model.SlackTarget]():     {"url"},
	reflect.TypeFor[model.TeamsTarget]():     {"url"},
	reflect.TypeFor[model.WebhookTarget]():   {"url"},
	reflect.TypeFor[model.EmailTarget]():     {"smtp", "from", "to"},
	reflect.TypeFor[model.CDEventsTarget]():  {"url"},
	reflect.TypeFor[model.TriggerSpec]():     {"name"},
	reflect.TypeFor[model.WebhookTrigger]():  {"provider", "secret"},
	reflect.TypeFor[model.RegistryTrigger](): {"repository"},
	reflect.TypeFor[model.GitTrigger]():      {"repository"},
	reflect.TypeFor[model.ScheduleTrigger](): {"cron"},
	reflect.TypeFor[model.PipelineTrigger](): {"pipeline"},
	// SLOs (validate_slo.go).
	reflect.TypeFor[model.SLOGateStage]():    {"environment"},
	reflect.TypeFor[model.AppLatency]():      {"p", "under"},
	reflect.TypeFor[model.CanaryNarrowing](): {"belowBudget"},
	reflect.TypeFor[model.FreezeWindow]():    {"from", "to"},
}

// oneOf describes structs that must carry exactly one of some fields, or
// at most one when optional.
type oneOf struct {
	noun     string   // what the struct is called in messages
	fields   []string // YAML names of the alternatives
	optional bool     // none of the fields is fine too
	// fix says what to do when several are written; empty means "split it
	// into one <noun> each".
	fix string
}

var oneOfFields = map[reflect.Type]oneOf{
	reflect.TypeFor[model.StageSpec](): {noun: "stage", fields: []string{
		string(model.StageNoop), string(model.StageWait), string(model.StageJudgment),
		string(model.StageWebhook), string(model.StageDeploy), string(model.StageRollback),
		string(model.StageSLOGate),
	}},
	reflect.TypeFor[model.DeployStage](): {noun: "deploy", fields: []string{"environment", "environments"},
		fix: "keep one: environment deploys to one environment, environments to several in waves"},
	reflect.TypeFor[model.Wave](): {noun: "wave", fields: []string{"count", "percent", "remaining"},
		fix: "keep one: a wave takes a count of environments, a percent of them, or the remaining ones"},
	reflect.TypeFor[model.CanaryStep](): {noun: "canary step", fields: []string{"setWeight", "pause", "analysis"}},
	reflect.TypeFor[model.AnalysisCheck](): {noun: "check", fields: []string{"web", "job"},
		fix: "keep one: a check measures with a web endpoint or a Job (write two checks for both)"},
	reflect.TypeFor[model.Subject](): {noun: "subject", fields: []string{"team", "user"}},
	reflect.TypeFor[model.GatewayRef](): {noun: "gateway", fields: []string{"name", "parentRefs"},
		fix: "keep one: name (with namespace, sectionName, port) for one Gateway, or parentRefs for several"},
	reflect.TypeFor[model.Notification](): {noun: "notification", fields: []string{
		string(model.TargetSlack), string(model.TargetTeams), string(model.TargetWebhook), string(model.TargetEmail), string(model.TargetCDEvents),
	}, fix: "keep one: a notification has one target (write one Notification for each)"},
	reflect.TypeFor[model.TriggerSpec](): {noun: "trigger", fields: []string{"webhook", "registry", "git", "schedule", "pipeline"},
		fix: "keep one: a trigger has one source (write one trigger for each)"},
	reflect.TypeFor[model.Scope](): {noun: "scope", fields: []string{"team", "application"}, optional: true,
		fix: "keep one: a grant covers one team's applications or one application (write one grant for each)"},
}

// metadata is the metadata block of every document.
type metadata struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
}

var durationType = reflect.TypeFor[model.Duration]()

// bounds is the accepted range of a number field, for the JSON Schema; the
// validators in validate*.go enforce the same ranges with their own messages.
type bounds struct {
	min, max                           *float64
	exclusiveMinimum, exclusiveMaximum bool
}

func atLeast(v float64) bounds      { return bounds{min: &v} }
func between(lo, hi float64) bounds { return bounds{min: &lo, max: &hi} }
func above(v float64) bounds        { return bounds{min: &v, exclusiveMinimum: true} }

// fromBelow is lo <= v < hi.
func fromBelow(lo, hi float64) bounds { return bounds{min: &lo, max: &hi, exclusiveMaximum: true} }

var fieldBounds = map[reflect.Type]map[string]bounds{
	reflect.TypeFor[model.Application]():  {"instances": atLeast(1), "port": between(1, 65535)},
	reflect.TypeFor[model.StageSpec]():    {"retries": between(0, MaxRetries)},
	reflect.TypeFor[model.GatewayRef]():   {"port": between(1, 65535)},
	reflect.TypeFor[model.ParentRef]():    {"port": between(1, 65535)},
	reflect.TypeFor[model.Strategy]():     {"maxRemaining": atLeast(0), "batchSize": atLeast(0)},
	reflect.TypeFor[model.CanaryStep]():   {"setWeight": between(0, 100)},
	reflect.TypeFor[model.Wave]():         {"count": atLeast(1), "percent": between(1, 100)},
	reflect.TypeFor[model.AnalysisStep](): {"intervals": atLeast(0)},
	reflect.TypeFor[model.AnalysisCheck](): {
		"failureLimit": atLeast(-1), "inconclusiveLimit": atLeast(-1), "consecutiveErrorLimit": atLeast(0),
	},
	// The analysis ranges that hold for every measure and direction; the
	// validators (model.AnalysisSpec.Problems) also check the ranges that
	// depend on them, such as an allowedIncrease below 1 with measure cles.
	reflect.TypeFor[model.AnalysisSpec](): {
		"minRequests": atLeast(0), "maxExtensions": atLeast(0),
		"maxErrorRateIncrease": between(0, 1), "maxLatencyRatio": above(0),
		"minSamples": atLeast(0), "tolerance": fromBelow(0, 1), "confidenceLevel": fromBelow(0, 1),
	},
	reflect.TypeFor[model.AnalysisMetric]():  {"weight": atLeast(0)},
	reflect.TypeFor[model.AnalysisGroup]():   {"weight": above(0)},
	reflect.TypeFor[model.OutlierSpec]():     {"factor": atLeast(0)},
	reflect.TypeFor[model.ScoreThresholds](): {"pass": between(0, 100), "marginal": between(0, 100)},
	reflect.TypeFor[model.EffectSize](): {
		"allowedIncrease": atLeast(0), "allowedDecrease": atLeast(0),
		"criticalIncrease": atLeast(0), "criticalDecrease": atLeast(0), "powerEffect": atLeast(0),
	},
	// SLOs (validate_slo.go).
	reflect.TypeFor[model.AppSLO]():          {"availability": between(0, 100).open(), "windowDays": between(1, 366)},
	reflect.TypeFor[model.AppLatency]():      {"p": between(0, 1).open()},
	reflect.TypeFor[model.SLOPolicy]():       {"minBudget": fromBelow(0, 1), "maxBurnRate": atLeast(0)},
	reflect.TypeFor[model.CanaryNarrowing](): {"belowBudget": above(0).upTo(1), "maxFirstWeight": between(1, 100), "analysisFactor": atLeast(1)},
	reflect.TypeFor[model.SLOGateStage]():    {"minBudget": fromBelow(0, 1), "maxBurnRate": atLeast(0)},
}

// open excludes both ends of b.
func (b bounds) open() bounds { b.exclusiveMinimum, b.exclusiveMaximum = true, true; return b }

// upTo sets an inclusive maximum.
func (b bounds) upTo(hi float64) bounds { b.max = &hi; return b }
