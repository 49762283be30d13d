package server

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes"
)

// kubeconfigFiles are the files an environment's Kubernetes client is built
// from: target.kubeconfig, or the default loading rules' ($KUBECONFIG, else
// ~/.kube/config). An in-cluster client has none: client-go re-reads the
// pod's token file by itself.
func kubeconfigFiles(t model.TargetSpec) []string {
	switch t.Kubeconfig {
	case kubernetes.InCluster:
		return nil
	case "":
		return clientcmd.NewDefaultClientConfigLoadingRules().GetLoadingPrecedence()
	}
	return []string{t.Kubeconfig}
}

// fileStamp is what gennaker last saw of one kubeconfig file.
type fileStamp struct {
	Path    string
	Size    int64
	ModTime time.Time
	Sum     string // sha256 of the content; "" when the file could not be read
}

// stampFiles reads what the files hold now. A file whose size and mtime
// match prev is not read again.
func stampFiles(paths []string, prev []fileStamp) []fileStamp {
	out := make([]fileStamp, 0, len(paths))
	for i, path := range paths {
		s := fileStamp{Path: path}
		fi, err := os.Stat(path)
		if err == nil {
			s.Size, s.ModTime = fi.Size(), fi.ModTime()
			if i < len(prev) && prev[i].Path == path && prev[i].Size == s.Size && prev[i].ModTime.Equal(s.ModTime) {
				s.Sum = prev[i].Sum
			} else if data, err := os.ReadFile(path); err == nil {
				sum := sha256.Sum256(data)
				s.Sum = hex.EncodeToString(sum[:])
			}
		}
		out = append(out, s)
	}
	return out
}

// sameContent reports whether two stamps of the same files saw the same
// content (a touch or a rewrite with the same bytes is no change).
func sameContent(a, b []fileStamp) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Path != b[i].Path || a[i].Sum != b[i].Sum {
			return false
		}
	}
	return true
}
