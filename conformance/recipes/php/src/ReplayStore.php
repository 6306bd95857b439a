<?php
declare(strict_types=1);

namespace CvPlugin;

/**
 * Single use (PROTOCOL.md §8) in a share-nothing runtime. PHP-FPM and `php -S` keep nothing
 * between requests, so the record lives in a database: one atomic statement inserts
 * (iss, aud, jti) unless a live record exists. SQLite serves one machine; with several
 * machines use the same table in the database they share (PostgreSQL and MySQL have the same
 * `INSERT ... ON CONFLICT` / `ON DUPLICATE KEY`), or Redis:
 *
 *     $ok = $redis->set("cv:launch:$iss:$aud:$jti", '1', ['NX', 'EXAT' => $exp + $leeway + 60]);
 *     // $ok === false: replayed; an exception or a timeout: replay_store_unavailable
 *
 * Either way there is no read-then-write, and a store that cannot answer refuses the token
 * (replay_store_unavailable, 503), never accepts it.
 */
final class ReplayStore
{
    private \PDO $db;

    public function __construct(string $path, private readonly int $skewMargin = 60)
    {
        try {
            $this->db = new \PDO("sqlite:$path", null, null, [\PDO::ATTR_ERRMODE => \PDO::ERRMODE_EXCEPTION]);
            $this->db->exec('PRAGMA busy_timeout = 500'); // other workers writing: wait, then fail closed
            $this->db->exec('PRAGMA journal_mode = WAL'); // readers never wait for the writer
            $this->db->exec('PRAGMA synchronous = NORMAL'); // durable across crashes of PHP itself
            $this->db->exec('CREATE TABLE IF NOT EXISTS cv_launch_jti (
                iss TEXT NOT NULL, aud TEXT NOT NULL, jti TEXT NOT NULL,
                expires_at INTEGER NOT NULL,
                PRIMARY KEY (iss, aud, jti))');
        } catch (\PDOException $e) {
            throw new LaunchTokenError('replay_store_unavailable', $e->getMessage());
        }
    }

    /**
     * Records the token's first use; throws `replayed` for a live record. A record may go at
     * `exp + leeway` (the token fails check 20 after that); the margin covers a clock behind.
     */
    public function claim(string $iss, string $aud, string $jti, int $exp, int $leeway, int $now): void
    {
        try {
            // One statement: insert, or take over a row whose token has expired anyway.
            $insert = $this->db->prepare('INSERT INTO cv_launch_jti (iss, aud, jti, expires_at)
                VALUES (:iss, :aud, :jti, :expires)
                ON CONFLICT (iss, aud, jti) DO UPDATE SET expires_at = excluded.expires_at
                WHERE cv_launch_jti.expires_at <= :now');
            $insert->execute([':iss' => $iss, ':aud' => $aud, ':jti' => $jti,
                ':expires' => $exp + $leeway + $this->skewMargin, ':now' => $now]);
            $first = $insert->rowCount() === 1;
            if (random_int(0, 99) === 0) { // now and then, forget what can no longer verify
                $this->db->prepare('DELETE FROM cv_launch_jti WHERE expires_at <= ?')->execute([$now]);
            }
        } catch (\PDOException $e) {
            throw new LaunchTokenError('replay_store_unavailable', $e->getMessage());
        }
        if (!$first) {
            throw new LaunchTokenError('replayed');
        }
    }
}
