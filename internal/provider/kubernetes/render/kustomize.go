package render

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// KustomizeOptions are the inputs of a kustomize build besides the files.
type KustomizeOptions struct {
	// Images are set in the overlay's kustomization as
	// `kustomize edit set image` does: an entry with the same Name is
	// updated (fields left empty keep their value), others are added.
	Images []Image
	// Namespace, when set, replaces the overlay's namespace
	// (`kustomize edit set namespace`).
	Namespace string
	// Limits bound the build; zero fields take the defaults.
	Limits Limits
}

// Image is one kustomize images entry: the image Name as written in the
// resources, and what to replace its name, tag or digest with.
type Image struct {
	Name, NewName, NewTag, Digest string
}

// kustomizeMu serializes builds: kustomize keeps its OpenAPI schema in
// package state, and concurrent builds are known to race on it.
var kustomizeMu sync.Mutex

// Kustomize builds the kustomization in dir of fsys (a path in fsys,
// "." for its root), in memory: fsys is copied (within the limits) into an
// in-memory file system, so kustomize reads nothing else. fsys should hold
// just the kustomize tree (fs.Sub of the repository's deploy folder, say):
// bases outside it cannot be reached; .git folders are not copied. Remote bases and files, exec and
// container plugins, and helmCharts are refused before the build.
func Kustomize(ctx context.Context, fsys fs.FS, dir string, opts KustomizeOptions) ([]Object, error) {
	lim := opts.Limits.withDefaults()
	if dir == "" {
		dir = "."
	}
	src := "kustomization " + dir
	if !fs.ValidPath(dir) {
		return nil, fmt.Errorf("%s: %w: %q is not a valid path in the file system (use a relative, slash-separated path without ..)", src, ErrUnsafeInput, dir)
	}
	return bounded(ctx, src, lim.Timeout, func(ctx context.Context) ([]Object, error) {
		mem, err := copyToMemory(src, fsys, lim)
		if err != nil {
			return nil, err
		}
		root := "/" + strings.TrimPrefix(path.Clean(dir), ".")
		if err := scanKustomization(src, mem, root); err != nil {
			return nil, err
		}
		addedOrigins, err := editKustomization(src, mem, root, opts)
		if err != nil {
			return nil, err
		}
		kustomizeMu.Lock()
		defer kustomizeMu.Unlock()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		kopts := krusty.MakeDefaultOptions()
		kopts.PluginConfig = types.DisabledPluginConfig()
		kopts.LoadRestrictions = types.LoadRestrictionsRootOnly
		resources, err := krusty.MakeKustomizer(kopts).Run(mem, root)
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %v", src, ErrInvalid, err)
		}
		var objs []Object
		for _, r := range resources.Resources() {
			m, err := r.Map()
			if err != nil {
				return nil, fmt.Errorf("%s: %w: %s: %v", src, ErrInvalid, r.CurId(), err)
			}
			o, err := decodeJSONMap(src, m)
			if err != nil {
				return nil, err
			}
			o.Source = takeOrigin(o, path.Clean(dir), addedOrigins)
			if o.Source == "" {
				o.Source = path.Join(dir, "kustomization.yaml")
			}
			objs = append(objs, o)
			if len(objs) > lim.MaxObjects {
				return nil, &LimitError{Source: src, What: "objects built", Limit: int64(lim.MaxObjects), Got: int64(len(objs))}
			}
		}
		if err := checkSet(src, objs, lim); err != nil {
			return nil, err
		}
		if n := int64(len(Manifest(objs))); n > lim.MaxOutputBytes {
			return nil, &LimitError{Source: src, What: "built manifest bytes", Limit: lim.MaxOutputBytes, Got: n}
		}
		Sort(objs)
		return objs, nil
	})
}

// copyToMemory copies fsys into an in-memory file system rooted at "/",
// refusing symlinks and special files.
func copyToMemory(src string, fsys fs.FS, lim Limits) (filesys.FileSystem, error) {
	mem := filesys.MakeFsInMemory()
	b := &budget{source: src, lim: lim, unpackedLimit: lim.MaxInputBytes, unpackedWhat: "kustomize file bytes"}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		switch {
		case d.IsDir():
			if p != "." && (d.Name() == ".git") {
				return fs.SkipDir
			}
			return mem.MkdirAll("/" + p)
		case d.Type()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s: %w: %s is a symlink; kustomize input must hold regular files only: replace the link with the file, or give only the kustomize tree (fs.Sub)", src, ErrUnsafeInput, p)
		case !d.Type().IsRegular():
			return fmt.Errorf("%s: %w: %s is not a regular file", src, ErrUnsafeInput, p)
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		data, err := readBounded(b, fsys, p, p, info.Size())
		if err != nil {
			return err
		}
		return mem.WriteFile("/"+p, data)
	})
	if err != nil {
		return nil, err
	}
	return mem, nil
}

// kustomizationFile returns the path of the kustomization file in dir.
func kustomizationFile(mem filesys.FileSystem, dir string) (string, bool) {
	for _, n := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if p := path.Join(dir, n); mem.Exists(p) && !mem.IsDir(p) {
			return p, true
		}
	}
	return "", false
}

// editKustomization sets images and namespace in the top kustomization, as
// `kustomize edit` would, and asks kustomize to record each object's
// origin. It reports whether origins were added (and so are to be removed).
func editKustomization(src string, mem filesys.FileSystem, root string, opts KustomizeOptions) (bool, error) {
	file, ok := kustomizationFile(mem, root)
	if !ok {
		return false, fmt.Errorf("%s: %w: no kustomization.yaml in %s", src, ErrInvalid, strings.TrimPrefix(root, "/"))
	}
	data, err := mem.ReadFile(file)
	if err != nil {
		return false, fmt.Errorf("%s: %w", src, err)
	}
	var k map[string]any
	if err := yaml.Unmarshal(data, &k); err != nil {
		return false, fmt.Errorf("%s: %w: %s: %v", src, ErrInvalid, strings.TrimPrefix(file, "/"), err)
	}
	if k == nil {
		k = map[string]any{}
	}
	if len(opts.Images) > 0 {
		k["images"] = setImages(asList(k["images"]), opts.Images)
	}
	if opts.Namespace != "" {
		k["namespace"] = opts.Namespace
	}
	meta := asList(k["buildMetadata"])
	added := !containsString(meta, types.OriginAnnotations)
	if added {
		k["buildMetadata"] = append(meta, types.OriginAnnotations)
	}
	out, err := yaml.Marshal(k)
	if err != nil {
		return false, fmt.Errorf("%s: %w", src, err)
	}
	return added, mem.WriteFile(file, out)
}

func setImages(existing []any, images []Image) []any {
	for _, img := range images {
		var entry map[string]any
		for _, e := range existing {
			if m, ok := e.(map[string]any); ok && m["name"] == img.Name {
				entry = m
				break
			}
		}
		if entry == nil {
			entry = map[string]any{"name": img.Name}
			existing = append(existing, entry)
		}
		for k, v := range map[string]string{"newName": img.NewName, "newTag": img.NewTag, "digest": img.Digest} {
			if v != "" {
				entry[k] = v
			}
		}
		// As `kustomize edit set image`: a tag and a digest exclude each other.
		if img.NewTag != "" && img.Digest == "" {
			delete(entry, "digest")
		}
		if img.Digest != "" && img.NewTag == "" {
			delete(entry, "newTag")
		}
	}
	return existing
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func containsString(list []any, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

const originAnnotation = "config.kubernetes.io/origin"

// takeOrigin turns kustomize's origin annotation into a Source relative to
// fsys ("base/deployment.yaml", or "overlays/prod/kustomization.yaml
// (ConfigMapGenerator)" for a generated object), removing the annotation
// if gennaker asked for it.
func takeOrigin(o Object, dir string, remove bool) string {
	ann := o.GetAnnotations()
	raw, ok := ann[originAnnotation]
	if !ok {
		return ""
	}
	if remove {
		delete(ann, originAnnotation)
		if len(ann) == 0 {
			unstructuredRemoveAnnotations(o)
		} else {
			o.SetAnnotations(ann)
		}
	}
	var origin struct {
		Path         string `json:"path"`
		Repo         string `json:"repo"`
		ConfiguredIn string `json:"configuredIn"`
		ConfiguredBy struct {
			Kind string `json:"kind"`
		} `json:"configuredBy"`
	}
	if err := yaml.Unmarshal([]byte(raw), &origin); err != nil {
		return ""
	}
	switch {
	case origin.Path != "":
		return path.Join(dir, origin.Path)
	case origin.ConfiguredIn != "":
		s := path.Join(dir, origin.ConfiguredIn)
		if origin.ConfiguredBy.Kind != "" {
			s += " (" + origin.ConfiguredBy.Kind + ")"
		}
		return s
	}
	return ""
}
