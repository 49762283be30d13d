package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes"
	"github.com/gennaker/gennaker/internal/provider/local"
	"github.com/gennaker/gennaker/internal/store"
)

// oobClaimPrefix starts the trigger_firing key under which out-of-band
// changes are claimed (one key per environment; the delivery is the
// change's key). ":" never occurs in an application's name, so deleting
// an application (which removes "APP/..." claims) leaves these alone.
const oobClaimPrefix = "out-of-band:"

// oobRecordTimeout bounds recording one change.
const oobRecordTimeout = 10 * time.Second

// oobRecorder records out-of-band changes as out_of_band_change events,
// each exactly once across replicas and restarts: the change's key is
// claimed (store.TriggerClaim) in the transaction that appends the event.
type oobRecorder struct {
	st  store.Store
	log *slog.Logger
}

// oobRecord is one change as the recorder stores it.
type oobRecord struct {
	Key, Application, Environment, Ref, Actor, Detail string
	Time                                              time.Time
}

// record appends the change's event unless its key was claimed already,
// and reports whether it did.
func (r *oobRecorder) record(ctx context.Context, c oobRecord) (bool, error) {
	// A watch that starts again offers every foreign workload again: a
	// read answers for those recorded already, without a write transaction.
	if _, found, err := r.st.TriggerFiringGet(ctx, oobClaimPrefix+c.Environment, c.Key); err == nil && found {
		return false, nil
	}
	var recorded bool
	err := r.st.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, claimed, err := tx.TriggerClaim(ctx, store.TriggerClaimParams{
			Key: oobClaimPrefix + c.Environment, DeliveryID: c.Key, ExecutionID: string(model.EventOutOfBand),
		})
		if err != nil || !claimed {
			return err
		}
		recorded = true
		return tx.EventInsert(ctx, &model.Event{
			Time: c.Time.UTC().Truncate(store.TimePrecision), Kind: model.EventOutOfBand,
			Application: c.Application, Environment: c.Environment, Ref: c.Ref, Actor: c.Actor, Detail: c.Detail,
		})
	})
	if err != nil {
		return false, fmt.Errorf("environment %s: recording the out-of-band change of %s: %w", c.Environment, c.Ref, err)
	}
	if recorded {
		r.log.Info("out-of-band change", "environment", c.Environment, "ref", c.Ref, "actor", c.Actor, "detail", c.Detail)
	}
	return recorded, nil
}

// kubernetesWatch is what the Kubernetes provider of env needs to report
// its out-of-band changes here.
func (r *oobRecorder) kubernetesWatch(env model.Environment, namespace string) kubernetes.OutOfBandWatch {
	return kubernetes.OutOfBandWatch{
		Recorded: func(ctx context.Context, group string) (*kubernetes.Recorded, error) {
			return r.recorded(ctx, env.Name, namespace, group)
		},
		Report: func(ctx context.Context, c kubernetes.OutOfBandChange) error {
			_, err := r.record(ctx, oobRecord{Key: c.Key, Application: c.Application, Environment: env.Name,
				Ref: c.Ref, Actor: c.Actor, Detail: c.Detail, Time: c.Time})
			return err
		},
	}
}

// recorded is what gennaker recorded for a server group of env: nil when
// it has none, or destroyed it.
func (r *oobRecorder) recorded(ctx context.Context, env, namespace, group string) (*kubernetes.Recorded, error) {
	sg, err := r.st.ServerGroupGet(ctx, env, group)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if sg.Status == model.ServerGroupDestroyed {
		return nil, nil
	}
	app, err := r.st.ApplicationGet(ctx, sg.Application)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rec := kubernetes.RecordedFor(namespace, *sg, *app)
	return &rec, nil
}

// localExit records an instance process of the local target that was
// killed from outside (local.Config.OutOfBand).
func (r *oobRecorder) localExit(e local.OutOfBandExit) {
	ctx, cancel := context.WithTimeout(context.Background(), oobRecordTimeout)
	defer cancel()
	if _, err := r.record(ctx, oobRecord{
		Key: e.Key(), Application: e.Application, Environment: e.Environment,
		Ref: e.Ref(), Detail: e.Detail(), Time: e.Time,
	}); err != nil {
		r.log.Warn("local: out-of-band change not recorded", "err", err)
	}
}

// oobLoop keeps the environment's out-of-band watch running (see
// kubernetes.Provider.WatchOutOfBand), starting it again when it fails.
func (k *k8sTargets) oobLoop(ctx context.Context, env model.Environment, p *kubernetes.Provider) {
	w := k.oob.kubernetesWatch(env, p.Namespace())
	for ctx.Err() == nil {
		if err := p.WatchOutOfBand(ctx, w); err != nil && ctx.Err() == nil {
			k.log.Warn("kubernetes: watching for out-of-band changes", "environment", env.Name, "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(k8sSyncInterval):
		}
	}
}
