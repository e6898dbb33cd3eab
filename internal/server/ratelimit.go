package server

import (
	"crypto/sha256"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// rateLimiter gives each client a token bucket. A client is its bearer
// token when it sends one (as authentication reads it, hashed: tokens are
// not kept in memory in clear), else its address. Failed authentications
// draw from a second, smaller bucket per address, so guessing tokens, each
// of which would be a client of its own, is slowed down too.
type rateLimiter struct {
	limit rate.Limit
	burst int

	mu       sync.Mutex
	clients  map[string]*client
	failures map[string]*client
	swept    time.Time
}

// Failed authentications an address may make: a burst, then one a second.
const (
	failureRate  = 1
	failureBurst = 20
)

type client struct {
	bucket *rate.Limiter
	seen   time.Time
}

func newRateLimiter(perSecond float64, burst int) *rateLimiter {
	if perSecond <= 0 {
		return nil
	}
	return &rateLimiter{limit: rate.Limit(perSecond), burst: max(burst, 1), clients: map[string]*client{},
		failures: map[string]*client{}, swept: time.Now()}
}

// wrap answers 429 with Retry-After to a client over its rate.
func (l *rateLimiter) wrap(next http.Handler) http.Handler {
	if l == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		addr := addressKey(req)
		wait := l.failed(addr, false)
		if wait == 0 {
			wait = l.reserve(l.clients, clientKey(req), l.limit, l.burst)
		}
		if wait > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			writeJSONError(w, http.StatusTooManyRequests, "RATE_LIMITED", "too many requests; retry after the number of seconds in Retry-After")
			return
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, req)
		if rec.status == http.StatusUnauthorized {
			l.failed(addr, true)
		}
	})
}

// failed reports how long addr must wait when its failed authentications
// have used up their bucket; with take, it records one more.
func (l *rateLimiter) failed(addr string, take bool) time.Duration {
	if take {
		return l.reserve(l.failures, addr, failureRate, failureBurst)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.failures[addr]
	if !ok {
		return 0
	}
	now := time.Now()
	if c.bucket.TokensAt(now) >= 1 {
		return 0
	}
	r := c.bucket.ReserveN(now, 1)
	d := r.DelayFrom(now)
	r.CancelAt(now)
	return d
}

// reserve takes a request from key's bucket; it returns how long to wait
// when the bucket is empty, and then takes nothing.
func (l *rateLimiter) reserve(clients map[string]*client, key string, limit rate.Limit, burst int) time.Duration {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		// Forget clients idle long enough for their bucket to be full again.
		for _, m := range []map[string]*client{l.clients, l.failures} {
			for k, c := range m {
				if now.Sub(c.seen) > 10*time.Minute {
					delete(m, k)
				}
			}
		}
		l.swept = now
	}
	c, ok := clients[key]
	if !ok {
		c = &client{bucket: rate.NewLimiter(limit, burst)}
		clients[key] = c
	}
	c.seen = now
	r := c.bucket.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}

func clientKey(req *http.Request) string {
	if token, ok := bearerToken(req); ok {
		sum := sha256.Sum256([]byte(token))
		return "token:" + string(sum[:])
	}
	return addressKey(req)
}

func addressKey(req *http.Request) string {
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		host = req.RemoteAddr
	}
	return "addr:" + host
}

// bearerToken reads the token of an "Authorization: Bearer <token>"
// header; the scheme is case-insensitive and spaces around the token are
// not part of it. Authentication and the rate limit read it alike.
func bearerToken(req *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(req.Header.Get("Authorization")), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}
