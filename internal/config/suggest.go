package config

import "fmt"

// maxSuggestionCandidates bounds the names searched for a suggestion.
const maxSuggestionCandidates = 200

// didYouMean returns `; did you mean "x"?` for the closest candidate within a
// small edit distance of word, or "" when none is close.
func didYouMean(word string, candidates []string) string {
	if len(candidates) > maxSuggestionCandidates {
		return "" // keep a huge document's errors cheap
	}
	best, bestDist := "", 3
	if len(word) <= 3 {
		bestDist = 2
	}
	for _, c := range candidates {
		if d := editDistance(word, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// editDistance is the Levenshtein distance between a and b, with an adjacent
// transposition counted as one edit ("retires" -> "retries").
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 1 << 30 // too long to be a typo worth suggesting
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
