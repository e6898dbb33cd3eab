package token

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/auth"
)

// RevokedChannel is the PostgreSQL notification channel on which a
// revocation names the token revoked, when its transaction commits.
const RevokedChannel = "sinergi_token_revoked"

// Cache remembers verified tokens for a short time, so that a request does
// not wait on the database to learn who is calling. A revocation, from any
// process (the command line, another server), reaches every server's cache
// through PostgreSQL's LISTEN/NOTIFY and drops the token at once; the TTL
// bounds everything else (a token's expiry; notifications missed while the
// listener reconnects, after which the whole cache is dropped). Refused
// tokens are never cached.
type Cache struct {
	store    *Store
	ttl      time.Duration
	log      *slog.Logger
	listener *pq.Listener

	// live is whether the listener is connected: only then is the cache
	// used. gen counts revocations and reconnects, so that a lookup that
	// raced a revocation does not put the token back.
	live atomic.Bool
	gen  atomic.Uint64

	mu      sync.Mutex
	entries map[[sha256.Size]byte]entry
}

type entry struct {
	p       auth.Principal
	tokenID string
	until   time.Time
}

// maxEntries bounds the cache; past it the cache is emptied and refills.
const maxEntries = 100_000

// NewCache returns a cache in front of store that listens for revocations
// on the database at dsn. Close it when done.
func NewCache(store *Store, dsn string, ttl time.Duration, log *slog.Logger) (*Cache, error) {
	c := &Cache{store: store, ttl: ttl, log: log, entries: map[[sha256.Size]byte]entry{}}
	c.listener = pq.NewListener(dsn, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventReconnected:
			c.clear() // revocations may have been missed meanwhile
			c.live.Store(true)
			log.Info("token cache: revocation listener reconnected; cache emptied")
		case pq.ListenerEventDisconnected:
			c.live.Store(false)
			c.clear()
			log.Warn("token cache: revocation listener lost its connection; not caching until it is back", "error", errString(err))
		}
	})
	if err := c.listener.Listen(RevokedChannel); err != nil {
		c.listener.Close()
		return nil, err
	}
	c.live.Store(true)
	go c.listen()
	return c, nil
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (c *Cache) listen() {
	for n := range c.listener.Notify {
		if n == nil {
			c.clear() // a reconnect: see the event callback
			continue
		}
		c.gen.Add(1)
		c.mu.Lock()
		for k, e := range c.entries {
			if e.tokenID == n.Extra {
				delete(c.entries, k)
			}
		}
		c.mu.Unlock()
	}
}

func (c *Cache) clear() {
	c.gen.Add(1)
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
}

// Authenticate returns the principal of a token, from the cache while it
// is fresh, else from the store.
func (c *Cache) Authenticate(ctx context.Context, secret string) (auth.Principal, error) {
	if !c.live.Load() {
		return c.store.Authenticate(ctx, secret)
	}
	key := sha256.Sum256([]byte(secret))
	now := time.Now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(e.until) {
		return e.p, nil
	}
	gen := c.gen.Load()
	p, v, err := c.store.authenticate(ctx, secret)
	if err != nil {
		return p, err
	}
	until := now.Add(c.ttl)
	if v.expiresAt != nil && v.expiresAt.Before(until) {
		until = *v.expiresAt
	}
	// A revocation (or a reconnect) while the lookup ran may concern this
	// token: then the answer stands for this request but is not kept.
	c.mu.Lock()
	if c.gen.Load() == gen && c.live.Load() {
		if len(c.entries) >= maxEntries {
			clear(c.entries)
		}
		c.entries[key] = entry{p: p, tokenID: v.tokenID, until: until}
	}
	c.mu.Unlock()
	return p, nil
}

// Close stops listening.
func (c *Cache) Close() error { return c.listener.Close() }
