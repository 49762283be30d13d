package latency

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// LayoutName names the fine layout in stored histograms.
const LayoutName = "log1.02"

// stored is a fine histogram as JSON: its layout and its non-zero buckets as
// flat pairs, index then count ({"layout":"log1.02","counts":[312,4,315,1]}).
type stored struct {
	Layout string   `json:"layout"`
	Counts []uint64 `json:"counts"`
}

// MarshalJSON writes a fine histogram sparse (a second at 50 requests/s
// takes about 300 bytes, not 584 counts) and a coarse one as the plain
// array of its 14 counts, as it was stored before.
func (h Histogram) MarshalJSON() ([]byte, error) {
	if len(h.Bounds) > 0 && len(h.Bounds) != NumBounds {
		return json.Marshal(h.Dense())
	}
	s := stored{Layout: LayoutName, Counts: make([]uint64, 0, 2*len(h.Counts))}
	for _, c := range h.Counts {
		s.Counts = append(s.Counts, uint64(c.Index), uint64(c.N))
	}
	return json.Marshal(s)
}

// UnmarshalJSON reads both forms: the fine layout's object, and the plain
// array of per-bucket counts that seconds stored before it hold (read with
// CoarseBounds, their layout; such seconds are kept only two hours).
func (h *Histogram) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if bytes.HasPrefix(data, []byte("[")) {
		var dense []uint64
		if err := json.Unmarshal(data, &dense); err != nil {
			return fmt.Errorf("latency histogram: %w", err)
		}
		switch len(dense) {
		case len(CoarseBounds) + 1:
			*h = Sparse(CoarseBounds, dense)
		case NumBuckets:
			*h = Sparse(Bounds, dense)
		default:
			return fmt.Errorf("latency histogram: %d bucket counts match no layout (the front door writes %d or, before %s, %d)",
				len(dense), NumBuckets, LayoutName, len(CoarseBounds)+1)
		}
		return nil
	}
	var s stored
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("latency histogram: %w", err)
	}
	if s.Layout != LayoutName {
		return fmt.Errorf("latency histogram: layout %q is unknown (this version reads %q)", s.Layout, LayoutName)
	}
	if len(s.Counts)%2 != 0 {
		return fmt.Errorf("latency histogram: %d numbers are not index and count pairs", len(s.Counts))
	}
	out := Histogram{Bounds: Bounds}
	for i := 0; i < len(s.Counts); i += 2 {
		idx, n := s.Counts[i], s.Counts[i+1]
		if idx >= NumBuckets {
			return fmt.Errorf("latency histogram: bucket %d is past the layout's %d", idx, NumBuckets)
		}
		if n > 0 {
			out.Counts = append(out.Counts, Count{Index: uint16(idx), N: uint32(min(n, 1<<32-1))})
		}
	}
	slices.SortFunc(out.Counts, func(a, b Count) int { return int(a.Index) - int(b.Index) })
	*h = out
	return nil
}
