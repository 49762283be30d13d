package kubernetes

import (
	"encoding/json"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// KubeControllerManager is the field manager of Kubernetes' own
// controllers; a HorizontalPodAutoscaler scales a Deployment under it
// (through the scale subresource).
const KubeControllerManager = "kube-controller-manager"

// manager is one entry of an object's metadata.managedFields with its
// field set decoded: who wrote, how (Apply or Update, through which
// subresource), when (to the second), and the fields it owns.
type manager struct {
	Name        string
	Operation   metav1.ManagedFieldsOperationType
	Subresource string
	Time        *time.Time
	fields      map[string]any
}

// managers decodes an object's managedFields. An entry whose fieldsV1 is
// not valid JSON keeps its name and time and owns nothing.
func managers(entries []metav1.ManagedFieldsEntry) []manager {
	out := make([]manager, 0, len(entries))
	for _, e := range entries {
		m := manager{Name: e.Manager, Operation: e.Operation, Subresource: e.Subresource}
		if e.Time != nil {
			t := e.Time.UTC()
			m.Time = &t
		}
		if e.FieldsV1 != nil {
			_ = json.Unmarshal(e.FieldsV1.Raw, &m.fields)
		}
		out = append(out, m)
	}
	return out
}

// key identifies the entry among an object's managedFields.
func (m manager) key() string {
	return m.Name + "\x00" + string(m.Operation) + "\x00" + m.Subresource
}

// String names the manager as the out-of-band record shows it:
// "kubectl-set (Update)", "kubectl-scale (Update, scale)".
func (m manager) String() string {
	s := m.Name + " (" + string(m.Operation)
	if m.Subresource != "" {
		s += ", " + m.Subresource
	}
	return s + ")"
}

// node returns the field-set node at path ("f:spec", "f:replicas", ...).
func (m manager) node(path ...string) (map[string]any, bool) {
	cur := m.fields
	for _, k := range path {
		next, ok := cur[k].(map[string]any)
		if !ok {
			return nil, false
		}
		cur = next
	}
	return cur, cur != nil
}

// owns reports whether the manager owns the field at path.
func (m manager) owns(path ...string) bool {
	_, ok := m.node(path...)
	return ok
}

// ownsUnder reports whether the manager owns any field below path.
func (m manager) ownsUnder(path ...string) bool {
	n, ok := m.node(path...)
	if !ok {
		return false
	}
	for k := range n {
		if k != "." {
			return true
		}
	}
	return false
}

// owners are the managers owning the field at path.
func owners(ms []manager, path ...string) []manager {
	var out []manager
	for _, m := range ms {
		if m.owns(path...) {
			out = append(out, m)
		}
	}
	return out
}

// containerKey is the field-set key of a container in a list keyed by name.
func containerKey(name string) string {
	b, _ := json.Marshal(map[string]string{"name": name})
	return "k:" + string(b)
}

var (
	pathReplicas = []string{"f:spec", "f:replicas"}
	pathTemplate = []string{"f:spec", "f:template"}
)

func pathImage(container string) []string {
	return []string{"f:spec", "f:template", "f:spec", "f:containers", containerKey(container), "f:image"}
}

// writers are the entries of now that are new or newer than in before:
// the managers whose writes lie between the two versions of an object
// (the API server stamps the time of the writer's entry on every write
// that changes something).
func writers(before, now []manager) []manager {
	had := make(map[string]*time.Time, len(before))
	for _, m := range before {
		had[m.key()] = m.Time
	}
	var out []manager
	for _, m := range now {
		t, ok := had[m.key()]
		if !ok || !sameTime(t, m.Time) {
			out = append(out, m)
		}
	}
	return out
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// isStatus reports whether the entry writes only the status subresource.
func (m manager) isStatus() bool { return m.Subresource == "status" }

// latest is the entry with the newest time (the first of equals), and false when ms is empty.
func latest(ms []manager) (manager, bool) {
	var best manager
	found := false
	for _, m := range ms {
		if !found || m.Time != nil && (best.Time == nil || m.Time.After(*best.Time)) {
			best, found = m, true
		}
	}
	return best, found
}

// isSelf reports whether the entry is gennaker's own (any operation).
func (m manager) isSelf(self string) bool {
	return m.Name == self
}
