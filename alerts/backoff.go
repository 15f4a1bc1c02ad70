package alerts

import "time"

// Backoff returns the delay before the attempt after attempt n (n ≥ 1):
// "full jitter" exponential backoff, u·min(maxDelay, initial·2^(n−1)) with u
// uniform in [0, 1) (Brooker, "Exponential Backoff And Jitter", AWS
// Architecture Blog, 2015). A positive retryAfter (the receiver's
// Retry-After) is a floor: the receiver said when to come back.
func Backoff(n int, initial, maxDelay, retryAfter time.Duration, u float64) time.Duration {
	if n < 1 {
		n = 1
	}
	ceil := initial
	for i := 1; i < n && ceil < maxDelay; i++ {
		ceil *= 2
	}
	ceil = min(ceil, maxDelay)
	if u < 0 || u >= 1 || u != u {
		u = 0
	}
	d := time.Duration(u * float64(ceil))
	return max(d, retryAfter)
}
