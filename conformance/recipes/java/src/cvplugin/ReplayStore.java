package cvplugin;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Single use (PROTOCOL.md §8): one atomic insert-if-absent of (iss, aud, jti), kept until
 * {@code until} (Unix seconds). Throws {@code replayed} for a live record, and
 * {@code replay_store_unavailable} when the store cannot answer (refuse, never accept). With
 * several instances share one store: Redis {@code SET cv:launch:<iss>:<aud>:<jti> 1 NX EXAT
 * <until>} (nil: replayed), or a SQL table with a unique key on (iss, aud, jti) and an expiry
 * column (INSERT ... ON CONFLICT DO UPDATE ... WHERE expires_at <= now, one row changed = first use).
 */
public interface ReplayStore {
    void claim(String iss, String aud, String jti, long until, long now) throws LaunchTokenError;

    /** One process only, bounded by live tokens. */
    final class InMemory implements ReplayStore {
        private final Map<List<String>, Long> entries = new HashMap<>();
        private final int max;

        public InMemory() {
            this(100_000);
        }

        public InMemory(int max) {
            this.max = max;
        }

        @Override
        public synchronized void claim(String iss, String aud, String jti, long until, long now) throws LaunchTokenError {
            List<String> key = List.of(iss, aud, jti);
            Long expires = entries.get(key);
            if (expires != null && now < expires) {
                throw new LaunchTokenError("replayed");
            }
            if (entries.size() >= max) {
                entries.values().removeIf(e -> e <= now);
                if (entries.size() >= max) {
                    throw new LaunchTokenError("replay_capacity_exceeded");
                }
            }
            entries.put(key, until);
        }
    }
}
