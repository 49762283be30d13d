package render

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// scanKustomization walks the kustomizations reachable from root before
// kustomize runs, and refuses what kustomize would fetch from the network
// (it clones git URLs with the git binary and GETs http URLs, and has no
// option to stop either), helm chart inflation (it runs the helm binary),
// and paths that leave the files given.
func scanKustomization(src string, mem filesys.FileSystem, root string) error {
	seen := map[string]bool{}
	var visit func(dir string, depth int) error
	visit = func(dir string, depth int) error {
		if seen[dir] {
			return nil
		}
		seen[dir] = true
		if depth > 50 {
			return fmt.Errorf("%s: %w: kustomizations nest more than 50 deep at %s", src, ErrInvalid, rel(dir))
		}
		file, ok := kustomizationFile(mem, dir)
		if !ok {
			return fmt.Errorf("%s: %w: %s holds no kustomization.yaml", src, ErrInvalid, rel(dir))
		}
		data, err := mem.ReadFile(file)
		if err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		var k map[string]any
		if err := yaml.Unmarshal(data, &k); err != nil {
			return fmt.Errorf("%s: %w: %s: %v", src, ErrInvalid, rel(file), err)
		}
		for _, field := range []string{"helmCharts", "helmChartInflationGenerator", "helmGlobals"} {
			if _, ok := k[field]; ok {
				return fmt.Errorf("%s: %w: %s uses %s, which runs the helm binary: render the chart as a Helm input instead", src, ErrRefused, rel(file), field)
			}
		}
		for _, ref := range references(k) {
			if ref.inline {
				continue
			}
			where := fmt.Sprintf("%s: %s %q", rel(file), ref.field, ref.value)
			if isRemote(ref.value) {
				return fmt.Errorf("%s: %w: %s is remote; gennaker builds only the files it was given: vendor the base into the repository", src, ErrRemote, where)
			}
			if path.IsAbs(ref.value) {
				return fmt.Errorf("%s: %w: %s is an absolute path; use a path relative to the kustomization", src, ErrUnsafeInput, where)
			}
			target := path.Join(dir, ref.value)
			if strings.HasPrefix(path.Join(strings.TrimPrefix(dir, "/"), ref.value), "..") {
				return fmt.Errorf("%s: %w: %s leaves the files given; give a file system that holds it (fs.Sub of a higher folder)", src, ErrUnsafeInput, where)
			}
			if !mem.Exists(target) {
				return fmt.Errorf("%s: %w: %s does not exist", src, ErrInvalid, where)
			}
			if ref.dirOK && mem.IsDir(target) {
				if err := visit(target, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return visit(root, 0)
}

func rel(p string) string {
	if p = strings.TrimPrefix(p, "/"); p == "" {
		return "."
	}
	return p
}

// reference is one path-like entry of a kustomization.
type reference struct {
	field, value string
	dirOK        bool // may name a directory holding a kustomization
	inline       bool // an inline document, not a path
}

// references lists the entries of a kustomization that name files,
// directories or URLs.
func references(k map[string]any) []reference {
	var refs []reference
	strs := func(field string, dirOK bool) {
		for _, v := range asList(k[field]) {
			if s, ok := v.(string); ok {
				refs = append(refs, reference{field: field, value: s, dirOK: dirOK, inline: strings.Contains(s, "\n")})
			}
		}
	}
	strs("resources", true)
	strs("bases", true)
	strs("components", true)
	strs("crds", false)
	strs("configurations", false)
	strs("generators", true)
	strs("transformers", true)
	strs("validators", true)
	strs("patchesStrategicMerge", false)
	for _, field := range []string{"patches", "patchesJson6902", "replacements"} {
		for _, v := range asList(k[field]) {
			if m, ok := v.(map[string]any); ok {
				if s, ok := m["path"].(string); ok {
					refs = append(refs, reference{field: field + ".path", value: s})
				}
			}
		}
	}
	for _, field := range []string{"configMapGenerator", "secretGenerator"} {
		for _, v := range asList(k[field]) {
			m, ok := v.(map[string]any)
			if !ok {
				continue
			}
			for _, f := range asList(m["files"]) {
				if s, ok := f.(string); ok {
					if _, p, ok := strings.Cut(s, "="); ok {
						s = p
					}
					refs = append(refs, reference{field: field + ".files", value: s})
				}
			}
			for _, f := range asList(m["envs"]) {
				if s, ok := f.(string); ok {
					refs = append(refs, reference{field: field + ".envs", value: s})
				}
			}
			if s, ok := m["env"].(string); ok && s != "" {
				refs = append(refs, reference{field: field + ".env", value: s})
			}
		}
	}
	if m, ok := k["openapi"].(map[string]any); ok {
		if s, ok := m["path"].(string); ok {
			refs = append(refs, reference{field: "openapi.path", value: s})
		}
	}
	return refs
}

var scpUser = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*@`)

// isRemote reports whether kustomize would fetch s rather than read it:
// every form its git URL parser and its http loader accept, and more.
func isRemote(s string) bool {
	l := strings.ToLower(strings.TrimSpace(s))
	l = strings.TrimPrefix(l, "git::")
	return strings.Contains(l, "://") || scpUser.MatchString(l) ||
		strings.HasPrefix(l, "github.com/") || strings.HasPrefix(l, "github.com:") ||
		strings.Contains(l, "?ref=") || strings.Contains(l, "?version=")
}
