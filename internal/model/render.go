package model

// HelmSource is a Helm chart rendered into an application's manifest set
// (in process, with no cluster access), as `helm template` would.
type HelmSource struct {
	// Chart is a chart directory or packaged .tgz, relative to the config file.
	Chart string `json:"chart"`
	// ReleaseName is .Release.Name (default: the application's name).
	ReleaseName string `json:"releaseName,omitempty"`
	// ValuesFiles are merged over the chart's values in order (helm -f),
	// relative to the config file.
	ValuesFiles []string `json:"valuesFiles,omitempty"`
	// Set are helm --set values ("replicaCount=3,image.repository=x").
	Set []string `json:"set,omitempty"`
	// ImageTagPaths are the values set to the deployed version (default
	// image.tag, as `helm create` charts use).
	ImageTagPaths []string `json:"imageTagPaths,omitempty"`
	// SkipHooks leaves out the chart's hook objects (helm.sh/hook), which
	// are refused by default: gennaker runs no hooks. SkipCRDs leaves out
	// its crds/ directories, refused by default: CRDs are installed once per
	// cluster, not per server group.
	SkipHooks bool `json:"skipHooks,omitempty"`
	SkipCRDs  bool `json:"skipCRDs,omitempty"`
}

// KustomizeSource is a kustomize overlay built into an application's
// manifest set (in process; remote bases are refused).
type KustomizeSource struct {
	// Path is the kustomization's directory, relative to the config file.
	Path string `json:"path"`
	// Root is the directory that holds the overlay and every base it uses
	// (default: the config file's directory); nothing outside it is read.
	Root string `json:"root,omitempty"`
}
