package crash

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

// approver answers waiting judgments through the HTTP API while the server
// is being killed, after letting each wait a while so kills land during it.
type approver struct {
	a         *api
	mu        sync.Mutex
	seen      map[string]time.Time // judgment key -> first seen waiting
	answered  map[string]int       // judgment key -> 2xx answers
	conflicts int
	failures  int
}

// judgmentPatience is how long a judgment waits before the test answers it.
const judgmentPatience = 1200 * time.Millisecond

func newApprover(a *api) *approver {
	return &approver{a: a, seen: map[string]time.Time{}, answered: map[string]int{}}
}

func (p *approver) loop(ctx context.Context) {
	for ctx.Err() == nil {
		p.once(ctx)
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (p *approver) once(ctx context.Context) {
	execs, err := p.a.executions(ctx, "&status=running")
	if err != nil {
		return // the server is down; try again
	}
	for _, e := range execs {
		for _, st := range e.Stages {
			if st.Status != "waiting" {
				continue
			}
			key := e.ID + "/" + st.Name
			p.mu.Lock()
			first, ok := p.seen[key]
			if !ok {
				p.seen[key] = time.Now()
			}
			p.mu.Unlock()
			if !ok || time.Since(first) < judgmentPatience {
				continue
			}
			decision := design[e.Pipeline].decision
			code, err := p.a.do(ctx, http.MethodPost, "/api/v1/executions/"+e.ID+"/"+decision, map[string]string{"stage": st.Name, "comment": "crash test"}, nil)
			p.mu.Lock()
			switch {
			case err == nil:
				p.answered[key]++
			case code == http.StatusConflict:
				p.conflicts++
			default:
				p.failures++
			}
			p.mu.Unlock()
		}
	}
}

func (p *approver) logSummary(t *testing.T) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t.Logf("judgments: %d seen waiting, %d answered, %d answers refused with 409, %d answers lost to kills", len(p.seen), len(p.answered), p.conflicts, p.failures)
}
