package stats

import (
	"errors"
	"math"
)

// ProportionResult is the outcome of comparing two proportions of counted
// events (5xx answers among requests): x = canary, y = baseline.
type ProportionResult struct {
	// P is the p-value of the exact conditional test for the alternative.
	P float64 `json:"p"`
	// Estimate is the difference of the shares, x's minus y's; Low and High
	// its Newcombe (hybrid Wilson score) interval at the confidence level.
	Estimate float64 `json:"estimate"`
	Low      float64 `json:"low"`
	High     float64 `json:"high"`
}

// ErrNoTrials: a side without trials has no share to compare.
var ErrNoTrials = errors.New("stats: a side has no trials")

// Proportions compares the share of events in x (eventsX of trialsX) with
// that in y by the exact conditional test: given the events of both sides
// together, E = eventsX + eventsY, equal shares make eventsX binomial with E
// draws and probability trialsX / (trialsX + trialsY) (the binomial test of
// Poisson rates, exact for rare events and conservative: its size never
// exceeds alpha). The two-sided p-value doubles the smaller tail (the
// central method; R's binom.test, behind its poisson.test, sums instead the
// outcomes no likelier than the one seen, usually a little smaller), so an
// increase is significant at 1 - level exactly when its one-sided p is
// below half of it. Only o.Alternative and o.ConfidenceLevel are read.
func Proportions(eventsX, trialsX, eventsY, trialsY uint64, o Options) (ProportionResult, error) {
	if trialsX == 0 || trialsY == 0 {
		return ProportionResult{}, ErrNoTrials
	}
	level := o.ConfidenceLevel
	if level <= 0 || level >= 1 {
		level = 0.95
	}
	px, py := float64(eventsX)/float64(trialsX), float64(eventsY)/float64(trialsY)
	r := ProportionResult{Estimate: px - py}
	total := eventsX + eventsY
	share := float64(trialsX) / float64(trialsX+trialsY)
	upper := binomialSF(eventsX, total, share)  // P(X >= eventsX)
	lower := binomialCDF(eventsX, total, share) // P(X <= eventsX)
	switch o.Alternative {
	case Greater:
		r.P = upper
	case Less:
		r.P = lower
	default:
		r.P = min(1, 2*min(upper, lower))
	}
	z := -normQuantile((1 - level) / 2)
	lx, ux := wilson(eventsX, trialsX, z)
	ly, uy := wilson(eventsY, trialsY, z)
	r.Low = r.Estimate - math.Sqrt((px-lx)*(px-lx)+(uy-py)*(uy-py))
	r.High = r.Estimate + math.Sqrt((ux-px)*(ux-px)+(py-ly)*(py-ly))
	return r, nil
}

// ProportionPower approximates the power of the two-sided test of two
// proportions at significance alpha to detect shares p1 (n1 trials) against
// p2 (n2 trials), by the normal approximation of their difference.
func ProportionPower(n1, n2 uint64, p1, p2, alpha float64) float64 {
	if n1 == 0 || n2 == 0 {
		return 0
	}
	if p1 == p2 {
		return alpha
	}
	se := math.Sqrt(p1*(1-p1)/float64(n1) + p2*(1-p2)/float64(n2))
	if se == 0 || math.IsNaN(se) {
		return 1
	}
	z := -normQuantile(alpha / 2)
	lambda := math.Abs(p1-p2) / se
	return normCDF(lambda-z) + normCDF(-lambda-z)
}

// wilson is the Wilson score interval of k events in n trials at the normal
// quantile z.
func wilson(k, n uint64, z float64) (lo, hi float64) {
	p, fn := float64(k)/float64(n), float64(n)
	den := 1 + z*z/fn
	mid := (p + z*z/(2*fn)) / den
	half := z * math.Sqrt(p*(1-p)/fn+z*z/(4*fn*fn)) / den
	return max(0, mid-half), min(1, mid+half)
}

// binomialCDF is P(X <= k) for X ~ Binomial(n, p).
func binomialCDF(k, n uint64, p float64) float64 {
	switch {
	case k >= n:
		return 1
	case p <= 0:
		return 1
	case p >= 1:
		return 0
	}
	// P(X <= k) = I_{1-p}(n-k, k+1)
	return regIncBeta(float64(n-k), float64(k+1), 1-p)
}

// binomialSF is P(X >= k) for X ~ Binomial(n, p).
func binomialSF(k, n uint64, p float64) float64 {
	switch {
	case k == 0:
		return 1
	case k > n:
		return 0
	case p <= 0:
		return 0
	case p >= 1:
		return 1
	}
	// P(X >= k) = I_p(k, n-k+1)
	return regIncBeta(float64(k), float64(n-k+1), p)
}

// regIncBeta is the regularized incomplete beta function I_x(a, b), by the
// continued fraction (modified Lentz), taken on the side where it converges
// fast (Numerical Recipes 6.4).
func regIncBeta(a, b, x float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x >= 1:
		return 1
	}
	la, _ := math.Lgamma(a + b)
	lb, _ := math.Lgamma(a)
	lc, _ := math.Lgamma(b)
	front := math.Exp(la - lb - lc + a*math.Log(x) + b*math.Log1p(-x))
	if x < (a+1)/(a+b+2) {
		return front * betaCF(a, b, x) / a
	}
	return 1 - front*betaCF(b, a, 1-x)/b
}

// betaCF evaluates the continued fraction of the incomplete beta function
// by the modified Lentz method, two terms (even, odd) per round.
func betaCF(a, b, x float64) float64 {
	const (
		tiny = 1e-300
		eps  = 1e-15
	)
	nonzero := func(v float64) float64 {
		if math.Abs(v) < tiny {
			return tiny
		}
		return v
	}
	qab, qap, qam := a+b, a+1, a-1
	c, d := 1.0, 1/nonzero(1-qab*x/qap)
	h := d
	// term folds one coefficient into c and d and returns the factor for h.
	term := func(aa float64) float64 {
		d = 1 / nonzero(1+aa*d)
		c = nonzero(1 + aa/c)
		return d * c
	}
	for m := 1; m <= 100000; m++ {
		fm := float64(m)
		m2 := 2 * fm
		h *= term(fm * (b - fm) * x / ((qam + m2) * (a + m2)))
		del := term(-(a + fm) * (qab + fm) * x / ((a + m2) * (qap + m2)))
		h *= del
		if math.Abs(del-1) < eps {
			break
		}
	}
	return h
}
