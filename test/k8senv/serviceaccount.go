package k8senv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	authv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// RBACManifest is the path of docs/kubernetes-rbac.yaml, the Role the docs
// tell users to create for gennaker.
func RBACManifest() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "docs", "kubernetes-rbac.yaml")
}

// Identity is the documented gennaker ServiceAccount of one namespace, as a
// client would use it: a bearer token, no admin certificate.
type Identity struct {
	// Kubeconfig is a file with the API server, its CA, the token and the
	// namespace (as `kubectl create token` users write one).
	Kubeconfig string
	RESTConfig *rest.Config
	Clientset  kubernetes.Interface
	Token      string
}

// ServiceAccount applies docs/kubernetes-rbac.yaml to ns (ServiceAccount,
// Role, RoleBinding) and returns a one-hour token of that ServiceAccount
// with a kubeconfig file for it. Tests of the Kubernetes target run as this
// identity, so the documented Role stays sufficient; the API server
// authorizes with RBAC, which the admin certificate would bypass.
func (e *Env) ServiceAccount(t testing.TB, ns string) *Identity {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, err := e.CreateServiceAccount(ctx, ns, t.TempDir())
	if err != nil {
		t.Fatalf("k8senv: %v", err)
	}
	return id
}

// CreateServiceAccount is ServiceAccount for programs that are not tests:
// it writes the kubeconfig file into dir.
func (e *Env) CreateServiceAccount(ctx context.Context, ns, dir string) (*Identity, error) {
	data, err := os.ReadFile(RBACManifest())
	if err != nil {
		return nil, err
	}
	// The RoleBinding's subject names no namespace: it is the one applied to.
	data = bytes.ReplaceAll(data, []byte("- kind: ServiceAccount\n  name: gennaker\n"),
		[]byte("- kind: ServiceAccount\n  name: gennaker\n  namespace: "+ns+"\n"))
	if err := e.ApplyYAML(ctx, ns, data); err != nil {
		return nil, fmt.Errorf("applying %s to %s: %w", RBACManifest(), ns, err)
	}
	secs := int64(3600)
	tok, err := e.Clientset.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "gennaker",
		&authv1.TokenRequest{Spec: authv1.TokenRequestSpec{ExpirationSeconds: &secs}}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("token of %s/gennaker: %w", ns, err)
	}
	id := &Identity{Token: tok.Status.Token}
	id.RESTConfig = rest.AnonymousClientConfig(e.RESTConfig)
	id.RESTConfig.BearerToken = id.Token
	if id.Clientset, err = kubernetes.NewForConfig(id.RESTConfig); err != nil {
		return nil, err
	}
	if err := awaitRoleBinding(ctx, id.Clientset, ns); err != nil {
		return nil, err
	}
	id.Kubeconfig = filepath.Join(dir, "gennaker-"+ns+".kubeconfig")
	if err := e.WriteTokenKubeconfig(id.Kubeconfig, ns, id.Token); err != nil {
		return nil, err
	}
	return id, nil
}

// awaitRoleBinding waits until the API server's RBAC authorizer has seen
// the new RoleBinding: it reads bindings from an informer cache, so the
// first requests after the apply can still be forbidden. It asks as the
// ServiceAccount (SelfSubjectAccessReview, which every authenticated user
// may) whether it can get Deployments and create Jobs.
func awaitRoleBinding(ctx context.Context, c kubernetes.Interface, ns string) error {
	checks := []authzv1.ResourceAttributes{
		{Namespace: ns, Verb: "get", Group: "apps", Resource: "deployments"},
		{Namespace: ns, Verb: "create", Group: "batch", Resource: "jobs"},
		{Namespace: ns, Verb: "patch", Resource: "configmaps"},
	}
	for _, ra := range checks {
		for {
			r, err := c.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx,
				&authzv1.SelfSubjectAccessReview{Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &ra}}, metav1.CreateOptions{})
			if err == nil && r.Status.Allowed {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("the RoleBinding of %s/gennaker never took effect for %s %s/%s (last error %v): %w", ns, ra.Verb, ra.Group, ra.Resource, err, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}

// WriteTokenKubeconfig writes a kubeconfig that reaches the API server with
// a bearer token, in namespace ns. Writing it again with another token is
// how a user fixes an expired or wrong one.
func (e *Env) WriteTokenKubeconfig(path, ns, token string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["gennaker-test"] = &clientcmdapi.Cluster{Server: e.APIServerURL, CertificateAuthorityData: e.pki.caPEM}
	cfg.AuthInfos["gennaker"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["gennaker"] = &clientcmdapi.Context{Cluster: "gennaker-test", AuthInfo: "gennaker", Namespace: ns}
	cfg.CurrentContext = "gennaker"
	return clientcmd.WriteToFile(*cfg, path)
}
