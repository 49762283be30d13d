package local

// smoothOrder returns one cycle of nginx's smooth weighted round robin over
// weights: the index of the route each of sum(weights) consecutive picks
// takes. Each pick adds every weight to its route's current value, takes the
// route with the highest current value (the first on a tie) and subtracts
// the total from it. After a full cycle every current value is back at 0, so
// the sequence repeats with period sum(weights), and any sum(weights)
// consecutive picks, wherever they start, hold each route exactly weight
// times. The picks of a route are spread out: 90/10 gives one canary request
// in every ten, not ten in a row.
func smoothOrder(weights []int) []int {
	total := 0
	for _, w := range weights {
		total += w
	}
	order := make([]int, 0, total)
	current := make([]int, len(weights))
	for range total {
		best := -1
		for i, w := range weights {
			if w <= 0 {
				continue
			}
			current[i] += w
			if best < 0 || current[i] > current[best] {
				best = i
			}
		}
		current[best] -= total
		order = append(order, best)
	}
	return order
}
