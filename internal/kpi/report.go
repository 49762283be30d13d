// Package kpi turns gennaker's delivery log into the delivery KPIs of
// docs/kpis.md: DORA's keys (deployment frequency, lead time for changes,
// change failure rate, failed deployment recovery time, rework rate), steps
// to deploy and adoption of the paved road.
//
// The log is folded once, incrementally: a projector (project.go) reads the
// events after its cursor and keeps one Deploy record per production deploy
// and one Day rollup per application, environment and UTC day, in the
// same transaction as the cursor, so every event counts exactly once on any
// number of replicas. A Report is then a pure function of the Day rollups
// of the period asked for (Summarize), never a scan of history.
package kpi

import "time"

// Bucket is the width of a report's points.
type Bucket string

const (
	BucketDay   Bucket = "day"
	BucketWeek  Bucket = "week" // ISO weeks, Monday 00:00 UTC
	BucketMonth Bucket = "month"
)

// Band is a DORA performance level (docs/kpis.md, "Bands").
type Band string

const (
	BandElite  Band = "elite"
	BandHigh   Band = "high"
	BandMedium Band = "medium"
	BandLow    Band = "low"
)

// Query selects what a Report covers. Times are UTC; From is inclusive and
// To exclusive, both whole days.
type Query struct {
	Team        string    `json:"team,omitempty"`
	Application string    `json:"application,omitempty"`
	Environment string    `json:"environment,omitempty"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	By          Bucket    `json:"by"`
	// Readable, when not nil, keeps only the applications it says yes to
	// (what the caller may read); nil keeps all.
	Readable func(application string) bool `json:"-"`
}

// Report is the KPIs of a Query: the whole period, the period before it
// (same length) for the trend, one Point per bucket, and one row per team
// and per application.
type Report struct {
	Query    Query   `json:"query"`
	Summary  Summary `json:"summary"`
	Previous Summary `json:"previous"`
	// Bands grades Summary (docs/kpis.md, "Bands"); a KPI with no data has
	// no band.
	Bands  Bands   `json:"bands"`
	Points []Point `json:"points"`
	Teams  []Row   `json:"teams"`
	Apps   []Row   `json:"applications"`
	// Adoption is over the whole period.
	Adoption Adoption `json:"adoption"`
	// ComputedAt is when the report was made and UpTo the last event the
	// rollups had folded in by then.
	ComputedAt time.Time `json:"computedAt"`
	UpTo       int64     `json:"upToEvent"`
}

// Bands grades each DORA key of a Summary.
type Bands struct {
	DeploymentFrequency Band `json:"deploymentFrequency,omitempty"`
	LeadTime            Band `json:"leadTime,omitempty"`
	ChangeFailureRate   Band `json:"changeFailureRate,omitempty"`
	RecoveryTime        Band `json:"recoveryTime,omitempty"`
}

// Point is one bucket of a Report's series.
type Point struct {
	Start   time.Time `json:"start"`
	Summary Summary   `json:"summary"`
}

// Row is one team's or application's Summary over the whole period.
type Row struct {
	Name    string  `json:"name"`
	Team    string  `json:"team,omitempty"`
	Summary Summary `json:"summary"`
	Bands   Bands   `json:"bands"`
}

// Summary is every KPI over a set of Day rollups. Durations are seconds.
// A rate or a quantile over nothing is nil (shown as "no data"), never 0.
type Summary struct {
	Days int `json:"days"`
	// Deploys is production deploys that reached 100% of traffic;
	// Attempts those plus production deploys that failed.
	Deploys  int `json:"deploys"`
	Attempts int `json:"attempts"`
	// DeploysPerDay is Deploys / Days; DeployDays the days with at least
	// one deploy.
	DeploysPerDay float64 `json:"deploysPerDay"`
	DeployDays    int     `json:"deployDays"`
	// Applications is the applications with at least one attempt (what
	// the deployment frequency band divides by).
	Applications int `json:"applications"`
	// ChangeFailures is attempts that failed, were rolled back or had an
	// incident attributed; ChangeFailureRate = ChangeFailures / Attempts.
	ChangeFailures    int      `json:"changeFailures"`
	ChangeFailureRate *float64 `json:"changeFailureRate"`
	// Failures by cause (each failure counted once, by its first cause).
	FailedDeploys  int   `json:"failedDeploys"`
	RolledBack     int   `json:"rolledBack"`
	IncidentCaused int   `json:"incidentCaused"`
	LeadTime       Dist  `json:"leadTime"`
	LeadTimeParts  Parts `json:"leadTimeParts"`
	// NoCommitTime is deploys whose change carried no commit time (no lead time).
	NoCommitTime int  `json:"noCommitTime"`
	Recovery     Dist `json:"recoveryTime"`
	// Unrecovered is change failures not yet restored.
	Unrecovered int      `json:"unrecovered"`
	Rework      int      `json:"rework"`
	ReworkRate  *float64 `json:"reworkRate"`
	// ManualSteps over the attempts, StepsPerDeploy = ManualSteps /
	// Attempts, HumanWait the seconds they waited for people.
	ManualSteps    int      `json:"manualSteps"`
	StepsPerDeploy *float64 `json:"stepsPerDeploy"`
	HumanWait      float64  `json:"humanWait"`
	// OutOfBand is changes made around gennaker in production
	// environments; ThroughGennaker = Deploys / (Deploys + OutOfBand).
	OutOfBand       int      `json:"outOfBand"`
	ThroughGennaker *float64 `json:"throughGennaker"`
}

// Dist is a duration distribution in seconds: type-7 quantiles (numpy's
// and R's default) and the mean.
type Dist struct {
	Count  int      `json:"count"`
	Median *float64 `json:"median"`
	P90    *float64 `json:"p90"`
	Mean   *float64 `json:"mean"`
}

// Parts is the mean lead time of the deploys with a commit time, split
// where it went (seconds); the parts add up to the mean lead time.
type Parts struct {
	WaitingToStart   float64 `json:"waitingToStart"`
	Running          float64 `json:"running"`
	WaitingForPeople float64 `json:"waitingForPeople"`
	CanaryAnalysis   float64 `json:"canaryAnalysis"`
}

// Adoption is the paved road's reach over a period.
type Adoption struct {
	// Applications and Teams are those configured now (in the query's
	// scope); Onboarded those with at least one production deploy by the
	// period's end, ActiveApplications those with one in the period.
	Applications       int `json:"applications"`
	OnboardedApps      int `json:"onboardedApplications"`
	ActiveApplications int `json:"activeApplications"`
	Teams              int `json:"teams"`
	OnboardedTeams     int `json:"onboardedTeams"`
	// ActiveUsers is distinct people who started, approved, rejected,
	// canceled, retried or rolled back something in the period.
	ActiveUsers int `json:"activeUsers"`
	// OutOfBandChanges lists the newest changes made around gennaker in
	// the period (at most 50), with who made them as far as the target says.
	OutOfBandChanges []OutOfBandChange `json:"outOfBandChanges,omitempty"`
}

// OutOfBandChange is one change made around gennaker.
type OutOfBandChange struct {
	Time        time.Time `json:"time"`
	Application string    `json:"application,omitempty"`
	Environment string    `json:"environment"`
	Object      string    `json:"object"`
	Actor       string    `json:"actor,omitempty"`
	Detail      string    `json:"detail"`
}
