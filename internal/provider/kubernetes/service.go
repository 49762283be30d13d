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

	"github.com/gennaker/gennaker/internal/model"
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
