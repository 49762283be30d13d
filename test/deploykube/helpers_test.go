package deploykube

import (
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

func metav1LabelSelector(d *appsv1.Deployment) (labels.Selector, error) {
	return metav1.LabelSelectorAsSelector(d.Spec.Selector)
}

// containerPort is the number of the container's port called name.
func containerPort(t *testing.T, c corev1.Container, name string) int32 {
	t.Helper()
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	t.Fatalf("container %s has no port named %q", c.Name, name)
	return 0
}

// flagValue is the value of a flag in args, given as --name=value or
// --name value.
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, true
		}
		if a == name && i+1 < len(args) {
			return args[i+1], true
		}
	}
	return "", false
}

// withFlag returns args with the flag's value replaced (appended when absent).
func withFlag(args []string, name, value string) []string {
	out := make([]string, 0, len(args)+1)
	found := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, name+"="):
			out, found = append(out, name+"="+value), true
		case a == name && i+1 < len(args):
			out, found = append(out, name+"="+value), true
			i++
		default:
			out = append(out, a)
		}
	}
	if !found {
		out = append(out, name+"="+value)
	}
	return out
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

func isTrue(b *bool) bool { return b != nil && *b }
