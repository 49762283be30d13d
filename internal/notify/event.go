package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
)

// Classify names the notification event a log event is, and false for
// kinds nobody is notified about (a wave started, a manual step...).
func Classify(ev model.Event) (model.NotifyEvent, bool) {
	switch ev.Kind {
	case model.EventExecutionStarted:
		return model.NotifyExecutionStarted, true
	case model.EventExecutionFinished:
		switch status, _ := finishedStatus(ev.Detail); status {
		case model.ExecutionSucceeded:
			return model.NotifyExecutionSucceeded, true
		case model.ExecutionFailed:
			return model.NotifyExecutionFailed, true
		case model.ExecutionCanceled:
			return model.NotifyExecutionCanceled, true
		}
	case model.EventJudgmentWaiting:
		return model.NotifyJudgmentWaiting, true
	case model.EventCanaryVerdict:
		return model.NotifyCanaryVerdict, true
	case model.EventDeploySucceeded:
		return model.NotifyDeploySucceeded, true
	case model.EventDeployFailed:
		return model.NotifyDeployFailed, true
	case model.EventRolledBack:
		return model.NotifyRollback, true
	case model.EventSLOAlertFiring, model.EventSLOAlertResolved:
		return model.NotifySLOAlert, true
	}
	return "", false
}

// finishedStatus splits an execution_finished event's Detail ("failed:
// reason") into the status and the reason.
func finishedStatus(detail string) (model.ExecutionStatus, string) {
	status, reason, _ := strings.Cut(detail, ": ")
	return model.ExecutionStatus(status), reason
}

// DeliveryID is the ID of the message about event eventID for the
// notification named notification: the same on every replica and after
// every restart, so the outbox holds it once and the receiver can drop a
// redelivery.
func DeliveryID(eventID int64, notification string) string {
	sum := sha256.Sum256([]byte(strconv.FormatInt(eventID, 10) + "/" + notification))
	return hex.EncodeToString(sum[:16])
}
