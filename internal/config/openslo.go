package config

import (
	"reflect"

	"github.com/gennaker/gennaker/internal/model"
)

// OpenSLO v1 documents (apiVersion openslo/v1) are read beside gennaker's
// own kinds, decoded with positions by the same decoder into the shapes
// below (the OpenSLO specification's, field for field), checked one by one
// (openslo_validate.go), then resolved as a set into model.SLO objects
// (openslo_resolve.go): references inlined, metric sources mapped to what
// gennaker can read. Nothing but the resolved SLOs leaves this package.

// openSLOKinds lists the OpenSLO kinds, in the order messages show them.
var openSLOKinds = []string{
	model.KindOpenSLOService, model.KindSLI, model.KindSLO, model.KindAlertPolicy,
	model.KindAlertCondition, model.KindAlertNotificationTarget, model.KindDataSource,
}

// openSLOTypes maps each OpenSLO kind to the type its spec decodes into.
var openSLOTypes = map[string]reflect.Type{
	model.KindOpenSLOService:          reflect.TypeFor[osloService](),
	model.KindSLI:                     reflect.TypeFor[osloSLI](),
	model.KindSLO:                     reflect.TypeFor[osloSLO](),
	model.KindAlertPolicy:             reflect.TypeFor[osloAlertPolicy](),
	model.KindAlertCondition:          reflect.TypeFor[osloAlertCondition](),
	model.KindAlertNotificationTarget: reflect.TypeFor[osloNotificationTarget](),
	model.KindDataSource:              reflect.TypeFor[osloDataSource](),
}

// OpenSLODocument is one decoded OpenSLO document: its metadata and its
// spec, one of the oslo* types by Kind.
type OpenSLODocument struct {
	Metadata osloMetadata
	Spec     any
}

// osloMetadata is OpenSLO's metadata. Label values are a string or a list
// of strings; annotations are strings.
type osloMetadata struct {
	Name        string            `json:"name"`
	DisplayName string            `json:"displayName,omitempty"`
	Labels      model.Object      `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// osloService is a Service: what SLOs are about.
type osloService struct {
	Description string `json:"description,omitempty"`
}

// osloDataSource says where metrics come from: its type (Prometheus,
// GennakerFrontDoor; others are read but not supported) and how to connect.
type osloDataSource struct {
	Description       string       `json:"description,omitempty"`
	Type              string       `json:"type"`
	ConnectionDetails model.Object `json:"connectionDetails,omitempty"`
}

// osloSLI is an indicator: a threshold metric or a ratio of two.
type osloSLI struct {
	Description     string           `json:"description,omitempty"`
	ThresholdMetric *osloMetricSpec  `json:"thresholdMetric,omitempty"`
	RatioMetric     *osloRatioMetric `json:"ratioMetric,omitempty"`
}

// osloRatioMetric is good (or bad) over total, or a precomputed raw ratio.
type osloRatioMetric struct {
	Counter bool            `json:"counter,omitempty"`
	Good    *osloMetricSpec `json:"good,omitempty"`
	Bad     *osloMetricSpec `json:"bad,omitempty"`
	Total   *osloMetricSpec `json:"total,omitempty"`
	RawType string          `json:"rawType,omitempty"`
	Raw     *osloMetricSpec `json:"raw,omitempty"`
}

type osloMetricSpec struct {
	MetricSource osloMetricSource `json:"metricSource"`
}

// osloMetricSource names a DataSource (metricSourceRef) or a type, and
// the type's own fields (spec).
type osloMetricSource struct {
	MetricSourceRef string       `json:"metricSourceRef,omitempty"`
	Type            string       `json:"type,omitempty"`
	Spec            model.Object `json:"spec,omitempty"`
}

// osloInlineSLI is an SLI written inside an SLO.
type osloInlineSLI struct {
	Metadata osloMetadata `json:"metadata"`
	Spec     osloSLI      `json:"spec"`
}

// osloSLO is the SLO kind.
type osloSLO struct {
	Description     string                `json:"description,omitempty"`
	Service         string                `json:"service"`
	Indicator       *osloInlineSLI        `json:"indicator,omitempty"`
	IndicatorRef    string                `json:"indicatorRef,omitempty"`
	TimeWindow      []osloTimeWindow      `json:"timeWindow,omitempty"`
	BudgetingMethod string                `json:"budgetingMethod"`
	Objectives      []osloObjective       `json:"objectives"`
	AlertPolicies   []osloAlertPolicyItem `json:"alertPolicies,omitempty"`
}

// osloTimeWindow is rolling (isRolling: true, or neither isRolling nor
// calendar) or calendar-aligned.
type osloTimeWindow struct {
	Duration  durationShorthand `json:"duration"`
	IsRolling *bool             `json:"isRolling,omitempty"`
	Calendar  *osloCalendar     `json:"calendar,omitempty"`
}

// osloCalendar anchors a calendar window: "2022-01-01 12:00:00" in an IANA zone.
type osloCalendar struct {
	StartTime string `json:"startTime"`
	TimeZone  string `json:"timeZone"`
}

// osloObjective is one objective of an SLO.
type osloObjective struct {
	DisplayName     string            `json:"displayName,omitempty"`
	Op              string            `json:"op,omitempty"`
	Value           *float64          `json:"value,omitempty"`
	Target          *float64          `json:"target,omitempty"`
	TargetPercent   *float64          `json:"targetPercent,omitempty"`
	TimeSliceTarget *float64          `json:"timeSliceTarget,omitempty"`
	TimeSliceWindow durationShorthand `json:"timeSliceWindow,omitempty"`
	Indicator       *osloInlineSLI    `json:"indicator,omitempty"`
	IndicatorRef    string            `json:"indicatorRef,omitempty"`
	CompositeWeight *float64          `json:"compositeWeight,omitempty"`
}

// osloAlertPolicyItem is an SLO's alert policy: inline (kind, metadata,
// spec) or by name (alertPolicyRef).
type osloAlertPolicyItem struct {
	Kind           string           `json:"kind,omitempty"`
	Metadata       *osloMetadata    `json:"metadata,omitempty"`
	Spec           *osloAlertPolicy `json:"spec,omitempty"`
	AlertPolicyRef string           `json:"alertPolicyRef,omitempty"`
}

// osloAlertPolicy is the AlertPolicy kind.
type osloAlertPolicy struct {
	Description         string              `json:"description,omitempty"`
	AlertWhenNoData     bool                `json:"alertWhenNoData,omitempty"`
	AlertWhenResolved   bool                `json:"alertWhenResolved,omitempty"`
	AlertWhenBreaching  bool                `json:"alertWhenBreaching,omitempty"`
	Conditions          []osloConditionItem `json:"conditions,omitempty"`
	NotificationTargets []osloTargetItem    `json:"notificationTargets,omitempty"`
}

// osloConditionItem is a policy's condition: inline or by conditionRef.
type osloConditionItem struct {
	Kind         string              `json:"kind,omitempty"`
	Metadata     *osloMetadata       `json:"metadata,omitempty"`
	Spec         *osloAlertCondition `json:"spec,omitempty"`
	ConditionRef string              `json:"conditionRef,omitempty"`
}

// osloAlertCondition is the AlertCondition kind.
type osloAlertCondition struct {
	Description string        `json:"description,omitempty"`
	Severity    string        `json:"severity"`
	Condition   osloCondition `json:"condition"`
}

// osloCondition is a burn-rate condition: the burn rate over lookbackWindow
// above threshold, for alertAfter. kind defaults to burnrate; op is not in
// OpenSLO v1 but some files write it (gennaker accepts gt and gte).
type osloCondition struct {
	Kind           string            `json:"kind"`
	Op             string            `json:"op"`
	Threshold      float64           `json:"threshold"`
	LookbackWindow durationShorthand `json:"lookbackWindow"`
	AlertAfter     durationShorthand `json:"alertAfter,omitempty"`
}

// osloNotificationTarget is the AlertNotificationTarget kind: whom to tell
// (gennaker delivers through the Notification of the same name).
type osloNotificationTarget struct {
	Description string `json:"description,omitempty"`
	Target      string `json:"target"`
}

// osloTargetItem is a policy's notification target: inline or by targetRef.
type osloTargetItem struct {
	Kind      string                  `json:"kind,omitempty"`
	Metadata  *osloMetadata           `json:"metadata,omitempty"`
	Spec      *osloNotificationTarget `json:"spec,omitempty"`
	TargetRef string                  `json:"targetRef,omitempty"`
}
