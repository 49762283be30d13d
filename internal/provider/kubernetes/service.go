package kubernetes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes/manifest"
)

// AnnotationHandedOver on a Service the team created says the team gave
// it to gennaker (gennaker adopt --take-service): gennaker sets its
// selector and keeps its ports.
const AnnotationHandedOver = "gennaker.dev/handed-over"

// ErrForeignService: the stable Service's name is taken by a Service gennaker
// did not create and nobody handed over.
var ErrForeignService = errors.New("the Service exists and gennaker did not create it")

// ForeignServiceError names the Service and the two ways out.
type ForeignServiceError struct {
	Namespace, Service, Application string
}

func (e *ForeignServiceError) Error() string {
	return fmt.Sprintf("application %s: Service %s/%s exists and gennaker did not create it, so gennaker leaves it alone: "+
		"hand it over with `gennaker adopt %s --take-service` (gennaker then sets its selector and keeps its ports), "+
		"or give gennaker's Service another name with spec.service.name", e.Application, e.Namespace, e.Service, e.Application)
}

func (e *ForeignServiceError) Unwrap() error { return ErrForeignService }

// isHandedOver reports whether svc is a team's Service handed to gennaker.
func isHandedOver(svc *corev1.Service) bool {
	return svc != nil && svc.Annotations[AnnotationHandedOver] == "true"
}

// stableServiceNow reads the application's stable Service (nil when there
// is none yet) and refuses one gennaker may not change.
func (p *Provider) stableServiceNow(ctx context.Context, app model.Application) (*corev1.Service, error) {
	name := stableServiceName(app)
	var svc *corev1.Service
	err := p.retry(ctx, p.what("get", "Service", name), func(ctx context.Context) error {
		var err error
		svc, err = p.kube.CoreV1().Services(p.ns).Get(ctx, name, metav1.GetOptions{})
		return err
	})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if svc.Labels[LabelManagedBy] != ManagedBy && !isHandedOver(svc) {
		return nil, &ForeignServiceError{Namespace: p.ns, Service: name, Application: app.Name}
	}
	if other := svc.Labels[LabelApp]; svc.Labels[LabelManagedBy] == ManagedBy && other != "" && other != app.Name {
		return nil, fmt.Errorf("application %s: Service %s/%s belongs to application %s: give one of them another spec.service.name", app.Name, p.ns, name, other)
	}
	return svc, nil
}

// TakeService marks the team's Service of the application's stable name as
// handed over to gennaker. Only metadata changes; Route then sets its
// selector. Taking a Service gennaker already manages does nothing.
func (p *Provider) TakeService(ctx context.Context, app model.Application) error {
	name := stableServiceName(app)
	body, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{AnnotationHandedOver: "true"}}})
	return p.retry(ctx, p.what("take over", "Service", name), func(ctx context.Context) error {
		_, err := p.kube.CoreV1().Services(p.ns).Patch(ctx, name, types.MergePatchType, body, metav1.PatchOptions{FieldManager: ManagedBy})
		if apierrors.IsNotFound(err) {
			return nil // nothing to hand over: gennaker creates it
		}
		return err
	})
}

// stableServiceOf is the stable Service to apply: the one of the
// application's manifest set when it has one (its ports, type, labels and
// annotations; spec.service.ports win when given), else stableService.
func stableServiceOf(ns string, app model.Application, selector map[string]string, handedOver bool) (*corev1ac.ServiceApplyConfiguration, error) {
	obj, err := SetService(app)
	if err != nil || obj == nil {
		return stableService(ns, app, selector, handedOver), err
	}
	body, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var svc corev1ac.ServiceApplyConfiguration
	if err := json.Unmarshal(body, &svc); err != nil {
		return nil, fmt.Errorf("application %s: the Service %s in its manifests: %w", app.Name, stableServiceName(app), err)
	}
	svc.WithName(stableServiceName(app)).WithNamespace(ns).
		WithLabels(map[string]string{LabelApp: app.Name, LabelManagedBy: ManagedBy})
	if svc.Spec == nil {
		svc.WithSpec(corev1ac.ServiceSpec())
	}
	svc.Spec.Selector = nil
	svc.Spec.WithSelector(selector)
	svc.Spec.ClusterIP, svc.Spec.ClusterIPs = nil, nil // the API server's
	if app.Service != nil && len(app.Service.Ports) > 0 {
		svc.Spec.Ports = nil
		svc.Spec.WithPorts(servicePorts(app)...)
	}
	svc.Status = nil
	return &svc, nil
}

// SetService returns the stable Service of the application's manifest set
// (the Service named like the stable Service), or nil when it has none.
// Placeholders are filled for no server group in particular: the stable
// Service belongs to every group.
func SetService(app model.Application) (map[string]any, error) {
	if app.ManifestTemplate == "" {
		return nil, nil
	}
	rendered := placeholder.ReplaceAllStringFunc(app.ManifestTemplate, func(m string) string {
		switch placeholder.FindStringSubmatch(m)[1] {
		case "app":
			return app.Name
		case "replicas":
			return "1"
		}
		return ""
	})
	objs, err := manifest.Split(app.Manifest, rendered)
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		if o["kind"] == "Service" && child(o, "metadata")["name"] == stableServiceName(app) {
			return o, nil
		}
	}
	return nil, nil
}

// setServicePorts are the ports of the manifest set's stable Service, or
// nil (none, or the set cannot be read: BuildManifestSet reports that).
func setServicePorts(app model.Application) []*corev1ac.ServicePortApplyConfiguration {
	obj, err := SetService(app)
	if err != nil || obj == nil {
		return nil
	}
	body, _ := json.Marshal(child(obj, "spec")["ports"])
	var ports []*corev1ac.ServicePortApplyConfiguration
	if json.Unmarshal(body, &ports) != nil {
		return nil
	}
	return ports
}
