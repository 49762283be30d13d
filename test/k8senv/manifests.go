package k8senv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"
)

// FieldManager is the server-side apply field manager of ApplyYAML.
const FieldManager = "k8senv"

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// DecodeYAML splits a multi-document YAML (or JSON) manifest into objects.
func DecodeYAML(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, err
		}
		if len(m) == 0 {
			continue
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
}

// ApplyYAML server-side applies every object of a multi-document manifest
// (field manager "k8senv", forcing conflicts). Namespaced objects without a
// namespace go to defaultNamespace.
func (e *Env) ApplyYAML(ctx context.Context, defaultNamespace string, data []byte) error {
	objs, err := DecodeYAML(data)
	if err != nil {
		return err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(e.Clientset.Discovery()))
	for _, obj := range objs {
		gvk := obj.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if meta.IsNoMatchError(err) {
			mapper.Reset() // a CRD applied just before
			m, err = mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", gvk, obj.GetName(), err)
		}
		ri := e.Dynamic.Resource(m.Resource)
		var applyErr error
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			ns := obj.GetNamespace()
			if ns == "" {
				ns = defaultNamespace
			}
			_, applyErr = ri.Namespace(ns).Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
		} else {
			_, applyErr = ri.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
		}
		if applyErr != nil {
			return fmt.Errorf("apply %s %s: %w", gvk.Kind, obj.GetName(), applyErr)
		}
	}
	return nil
}

// installGatewayAPI applies the Gateway API standard-channel CRDs copied by
// scripts/k8s/build.sh and waits until they are Established.
func (e *Env) installGatewayAPI(ctx context.Context, cache string) error {
	files, err := filepath.Glob(filepath.Join(cache, "gateway-api-crds", "standard", "*.yaml"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no Gateway API CRDs in %s; %s", filepath.Join(cache, "gateway-api-crds"), BuildHint)
	}
	sort.Strings(files)
	var crds []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		objs, err := DecodeYAML(data)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		for _, obj := range objs {
			if obj.GetKind() != "CustomResourceDefinition" {
				// vap_safeupgrades.yaml: a ValidatingAdmissionPolicy that
				// guards against mixing channels; not needed in tests.
				continue
			}
			if _, err := e.Dynamic.Resource(crdGVR).Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: FieldManager, Force: true}); err != nil {
				return fmt.Errorf("apply CRD %s: %w", obj.GetName(), err)
			}
			crds = append(crds, obj.GetName())
		}
	}
	err = e.poll(ctx, "Gateway API CRDs Established", 50*time.Millisecond, func() (bool, error) {
		for _, name := range crds {
			crd, err := e.Dynamic.Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
			established := false
			for _, c := range conds {
				cm, _ := c.(map[string]any)
				if cm["type"] == "Established" && cm["status"] == "True" {
					established = true
				}
			}
			if !established {
				return false, fmt.Errorf("CRD %s not Established", name)
			}
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	// Warm up in the background: the API server compiles the HTTPRoute
	// schema's validation rules on the first write, which takes about 2 s;
	// start paying that now rather than in the first test that writes one.
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		route := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "gateway.networking.k8s.io/v1",
			"kind":       "HTTPRoute",
			"metadata":   map[string]any{"name": "k8senv-warmup", "namespace": "default"},
			"spec":       map[string]any{"parentRefs": []any{map[string]any{"name": "warmup"}}},
		}}
		httproutes := schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}
		_, _ = e.Dynamic.Resource(httproutes).Namespace("default").Create(ctx, route, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	}()
	return nil
}
