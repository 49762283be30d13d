package kpi

import (
	"encoding/binary"
	"fmt"
	"slices"
)

// The durations of a rollup are packed as two lists of microseconds, each
// sorted and delta-encoded as uvarints after its length: a year of a busy
// fleet's rollups decodes in milliseconds.

func packValues(lists ...[]int64) []byte {
	var out []byte
	for _, l := range lists {
		s := slices.Clone(l)
		slices.Sort(s)
		out = binary.AppendUvarint(out, uint64(len(s)))
		var prev int64
		for i, v := range s {
			if i == 0 {
				out = binary.AppendVarint(out, v)
			} else {
				out = binary.AppendUvarint(out, uint64(v-prev))
			}
			prev = v
		}
	}
	return out
}

// unpackValues appends the n lists packed in b to dst's lists.
func unpackValues(b []byte, dst ...*[]int64) error {
	for _, d := range dst {
		if len(b) == 0 {
			return nil
		}
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)) {
			return fmt.Errorf("kpi rollup values: bad length")
		}
		b = b[k:]
		var prev int64
		for i := uint64(0); i < n; i++ {
			var v int64
			if i == 0 {
				x, k := binary.Varint(b)
				if k <= 0 {
					return fmt.Errorf("kpi rollup values: bad value")
				}
				v, b = x, b[k:]
			} else {
				x, k := binary.Uvarint(b)
				if k <= 0 {
					return fmt.Errorf("kpi rollup values: bad value")
				}
				v, b = prev+int64(x), b[k:]
			}
			*d = append(*d, v)
			prev = v
		}
	}
	return nil
}
