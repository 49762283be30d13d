package kubernetes

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Logs returns the last lines of every container of every pod of a server
// group, each line prefixed with the pod's name (and the container's, when
// the pod has sidecars). A container whose logs cannot be read says why.
func (p *Provider) Logs(ctx context.Context, group string, tail int) (string, error) {
	d, err := p.deployment(ctx, group)
	if err != nil {
		return "", err
	}
	pods, err := p.groupPods(ctx, d)
	if err != nil {
		return "", err
	}
	lines := int64(tail)
	var b strings.Builder
	for _, pod := range pods {
		for _, c := range pod.Spec.Containers {
			opts := &corev1.PodLogOptions{Container: c.Name}
			if tail > 0 {
				opts.TailLines = &lines
			}
			prefix := pod.Name
			if len(pod.Spec.Containers) > 1 { // sidecars: say whose line it is
				prefix += "/" + c.Name
			}
			data, err := p.kube.CoreV1().Pods(p.ns).GetLogs(pod.Name, opts).DoRaw(ctx)
			if err != nil {
				fmt.Fprintf(&b, "[%s] (no logs: %v)\n", prefix, err)
				continue
			}
			for _, l := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
				if l != "" {
					fmt.Fprintf(&b, "[%s] %s\n", prefix, l)
				}
			}
		}
	}
	return b.String(), nil
}
