package server

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/notify"
	"github.com/gennaker/gennaker/internal/secret"
	"github.com/gennaker/gennaker/internal/store"
)

// notifier runs the server's notifications: the dispatcher and the
// delivery worker (package notify), started once the listener's URL, which
// messages link to, is known.
type notifier struct {
	st  store.Store
	log *slog.Logger
	// claimTTL is how long a send stays a replica's before another takes
	// it over: the engine's --claim-ttl, but never under a send's timeout.
	claimTTL time.Duration
	// kpi makes the weekly KPI digests' reports (nil: no digests), and
	// digestAt says when they are due (nil: notify's default).
	kpi      notify.KPIReports
	digestAt *notify.DigestSchedule

	mu sync.Mutex
	n  *notify.Notifier
}

// minNotifyClaim outlasts a send (notify's 10 s timeout) and its record.
const minNotifyClaim = 15 * time.Second

func newNotifier(st store.Store, log *slog.Logger, claimTTL time.Duration) *notifier {
	return &notifier{st: st, log: log, claimTTL: max(claimTTL, minNotifyClaim)}
}

// setBaseURL builds the notifier with the URL people open the UI at.
func (s *notifier) setBaseURL(base string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n = notify.New(notify.Config{
		Store: s.st, Logger: s.log, BaseURL: base, ClaimTTL: s.claimTTL, KPI: s.kpi, DigestAt: s.digestAt,
		Targets: &notify.Targets{Secrets: &secret.Resolver{}, Host: base},
	})
}

// start runs the notifier until ctx ends; the channel closes when it has
// stopped. A single node first releases the claims a crash left, so the
// sends it was making are made again at once.
func (s *notifier) start(ctx context.Context, singleNode bool) <-chan struct{} {
	done := make(chan struct{})
	s.mu.Lock()
	n := s.n
	s.mu.Unlock()
	if singleNode {
		if released, err := s.st.DeliveryReleaseClaims(ctx); err != nil {
			s.log.Warn("notifications: releasing the claims of a stopped process", "err", err)
		} else if released > 0 {
			s.log.Info("notifications: sending again what a stopped process was sending", "deliveries", released)
		}
	}
	// The first dispatch (which, on a new store, starts the cursor at the
	// log's end) runs before the API serves, so no event of this server's
	// life comes before the cursor.
	if _, err := n.Dispatch(ctx); err != nil {
		s.log.Warn("notifications: reading the event log", "err", err)
	}
	go func() {
		defer close(done)
		n.Run(ctx)
	}()
	return done
}

// SendTest implements api.NotificationTester.
func (s *notifier) SendTest(ctx context.Context, n model.Notification, actor string) error {
	s.mu.Lock()
	nt := s.n
	s.mu.Unlock()
	if nt == nil {
		return context.Canceled
	}
	return nt.SendTest(ctx, n, actor)
}

// uiURL is the base of the links messages carry: --public-url, else the
// address the server listens at.
func uiURL(public, local string) string {
	if public != "" {
		return strings.TrimRight(public, "/")
	}
	return strings.TrimRight(local, "/")
}
