package model

// ParamFix is the run parameter that marks an execution as a fix
// (`gennaker deploy --fix`, `gennaker run --fix`, or `--param fix=true`):
// the error-budget deploy policy never holds a fix. Every pipeline accepts
// it, like version and env.NAME.
const ParamFix = "fix"

// IsFix reports whether the execution was marked as a fix.
func (e *Execution) IsFix() bool {
	if e == nil {
		return false
	}
	switch e.Params[ParamFix] {
	case "true", "yes", "1":
		return true
	}
	return false
}
