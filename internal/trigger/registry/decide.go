package registry

// What one look at a repository fires, decided without I/O.
//
// A look lists the repository's tags, keeps the watched ones (Filter),
// resolves the digests of the newest Window of them, and fires at most one
// tag: the newest of those that are new (not in the cursor) or moved (their
// digest changed since the last look). Deploying only the newest is what
// someone shipping versions wants: three tags pushed between two looks
// deploy once, the newest, not three times in a row. With a semver
// constraint a tag fires only when it is the newest matching version, so a
// late patch of an older line (1.4.9 pushed after 1.5.0) never deploys
// over a newer version.

// Window is how many of the newest watched tags a look resolves the digest
// of, to see a tag pushed again with new content (e.g. latest, or a
// re-built 1.4.2). Older tags fire only when they are new.
const Window = 10

// MaxTracked bounds the tags a cursor remembers: the newest MaxTracked
// watched tags, and the oldest of them as the cursor's floor.
const MaxTracked = 1000

// Cursor is a registry trigger's position: the watched tags it has seen.
type Cursor struct {
	// Tags maps each watched tag seen to its digest, "" when the digest
	// was never resolved (it was never among the newest Window).
	Tags map[string]string `json:"tags"`
	// Floor, set when Tags was cut to MaxTracked, is the oldest tag kept:
	// a tag ordered before it counts as seen.
	Floor string `json:"floor,omitempty"`
}

// Newest is the newest n of sorted (oldest first) tags.
func Newest(sorted []string, n int) []string {
	if len(sorted) <= n {
		return sorted
	}
	return sorted[len(sorted)-n:]
}

// Decide returns the tag one look fires, "" for none. prev is the cursor
// (nil on the first look, which fires nothing), sorted the watched tags,
// oldest first, and digests the digests resolved this look.
func Decide(f Filter, prev *Cursor, sorted []string, digests map[string]string) string {
	if prev == nil || len(sorted) == 0 {
		return ""
	}
	fire := ""
	for _, tag := range sorted {
		if isNew(f, prev, tag) || moved(prev, tag, digests) {
			fire = tag // sorted oldest first: the last one wins
		}
	}
	if f.Semver() && fire != sorted[len(sorted)-1] {
		return ""
	}
	return fire
}

func isNew(f Filter, prev *Cursor, tag string) bool {
	if _, seen := prev.Tags[tag]; seen {
		return false
	}
	return prev.Floor == "" || f.Compare(tag, prev.Floor) > 0
}

func moved(prev *Cursor, tag string, digests map[string]string) bool {
	was, now := prev.Tags[tag], digests[tag]
	return was != "" && now != "" && was != now
}

// Next is the cursor after a look: every watched tag with its digest
// (resolved now, else as remembered), cut to the newest max.
func Next(prev *Cursor, sorted []string, digests map[string]string, max int) Cursor {
	keep := Newest(sorted, max)
	next := Cursor{Tags: make(map[string]string, len(keep))}
	for _, tag := range keep {
		d, ok := digests[tag]
		if !ok && prev != nil {
			d = prev.Tags[tag]
		}
		next.Tags[tag] = d
	}
	if len(keep) < len(sorted) {
		next.Floor = keep[0]
	}
	return next
}
