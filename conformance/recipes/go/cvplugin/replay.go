package cvplugin

import (
	"sync"
	"time"
)

// ReplayStore records each accepted token once (§8). Claim must be one atomic
// insert-if-absent: nil for the first use, a *LaunchTokenError "replayed" for a live record,
// "replay_store_unavailable" when the store cannot answer (the token is then refused, never
// accepted). With several instances, share one store, for example Redis:
//
//	ok, err := rdb.SetNX(ctx, "cv:launch:"+iss+":"+aud+":"+jti, 1, time.Until(until)).Result()
//	// err != nil: replay_store_unavailable; !ok: replayed
//
// or a SQL table with a unique key on (iss, aud, jti) and an expiry column (the PHP recipe's
// ReplayStore shows the statement).
type ReplayStore interface {
	Claim(iss, aud, jti string, until time.Time) error
}

// MemoryReplayStore is a ReplayStore for one process, bounded by live tokens.
type MemoryReplayStore struct {
	mu      sync.Mutex
	entries map[[3]string]time.Time
	Now     func() time.Time // the clock; time.Now when nil
	Max     int              // the most live records; 100 000 when 0
}

func (s *MemoryReplayStore) Claim(iss, aud, jti string, until time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	if s.entries == nil {
		s.entries = map[[3]string]time.Time{}
	}
	key := [3]string{iss, aud, jti}
	if expires, ok := s.entries[key]; ok && now.Before(expires) {
		return refuse("replayed", "")
	}
	max := s.Max
	if max == 0 {
		max = 100000
	}
	if len(s.entries) >= max {
		for k, expires := range s.entries {
			if !now.Before(expires) {
				delete(s.entries, k)
			}
		}
		if len(s.entries) >= max {
			return refuse("replay_capacity_exceeded", "")
		}
	}
	s.entries[key] = until
	return nil
}
