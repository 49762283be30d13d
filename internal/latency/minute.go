package latency

import (
	"encoding/binary"
	"fmt"
	"time"
)

// minuteFormat is the first byte of an encoded minute: the fine layout,
// sparse, as varints.
const minuteFormat = 1

// EncodeMinute packs per-bucket counts of the fine layout (dense,
// NumBuckets long; a shorter slice is the first buckets) compactly for the
// traffic-minute rows kept for a year: a format byte, then for each
// non-zero bucket the gap from the previous non-zero bucket's index and
// the count, as unsigned varints. A minute whose latencies sit in 30
// buckets takes about 90 bytes; an empty one 1.
func EncodeMinute(dense []uint64) []byte {
	out := []byte{minuteFormat}
	prev := -1
	for i, n := range dense {
		if n == 0 || i >= NumBuckets {
			continue
		}
		out = binary.AppendUvarint(out, uint64(i-prev))
		out = binary.AppendUvarint(out, n)
		prev = i
	}
	return out
}

// DecodeMinute reads EncodeMinute's bytes into dense (which it clears
// first; NumBuckets long), so one buffer serves many minutes. Empty
// input is an empty minute.
func DecodeMinute(b []byte, dense []uint64) error {
	clear(dense)
	if len(b) == 0 {
		return nil
	}
	if b[0] != minuteFormat {
		return fmt.Errorf("latency minute: format %d is unknown (this version reads %d)", b[0], minuteFormat)
	}
	b = b[1:]
	idx := -1
	for len(b) > 0 {
		gap, n := binary.Uvarint(b)
		if n <= 0 {
			return fmt.Errorf("latency minute: a bucket index is cut short")
		}
		b = b[n:]
		count, n := binary.Uvarint(b)
		if n <= 0 {
			return fmt.Errorf("latency minute: the count of bucket %d is cut short", idx+int(gap))
		}
		b = b[n:]
		idx += int(gap)
		if gap == 0 || idx >= NumBuckets || idx >= len(dense) {
			return fmt.Errorf("latency minute: bucket %d is out of order or past the layout's %d", idx, NumBuckets)
		}
		dense[idx] = count
	}
	return nil
}

// UnderIndex is the number of the fine layout's buckets whose latencies
// are all within d: a request counts as answered within d when its
// bucket's upper bound is at most d. Exact when d is one of Bounds; else
// the requests between the largest bound below d and d itself (at most 2%
// below d) count as slower than d, so a latency SLI never looks better
// than it is. The second result says whether d is exactly a bound.
func UnderIndex(d time.Duration) (int, bool) {
	s := d.Seconds()
	i := BucketOf(s) // Bounds[i-1] < s <= Bounds[i]
	if i < NumBounds && Bounds[i] == s {
		return i + 1, true
	}
	return i, false
}

// MinuteUnder adds to under[j] the latencies of an encoded minute in the
// buckets below index below[j] (UnderIndex's count), without expanding
// the minute: what a latency SLI reads from each of a year of minutes.
func MinuteUnder(b []byte, below []int, under []uint64) error {
	if len(b) == 0 {
		return nil
	}
	if b[0] != minuteFormat {
		return fmt.Errorf("latency minute: format %d is unknown (this version reads %d)", b[0], minuteFormat)
	}
	b = b[1:]
	idx := -1
	for len(b) > 0 {
		gap, n := binary.Uvarint(b)
		if n <= 0 || gap == 0 {
			return fmt.Errorf("latency minute: a bucket index is cut short or out of order")
		}
		b = b[n:]
		count, n := binary.Uvarint(b)
		if n <= 0 {
			return fmt.Errorf("latency minute: a count is cut short")
		}
		b = b[n:]
		idx += int(gap)
		for j, lim := range below {
			if idx < lim {
				under[j] += count
			}
		}
	}
	return nil
}
