<?php
declare(strict_types=1);

namespace CvPlugin;

/**
 * JSON as PROTOCOL.md §2 and §4 read it, which json_decode alone cannot: json_decode keeps the
 * last of two equal member names without a word, reads `-0` as the integer 0, and `1.0` and
 * `1e9` as floats you cannot tell from a typo. This scanner walks the text once (strict RFC 8259
 * grammar, UTF-8 only), records every member name of the top-level object in order, whether any
 * object repeats a name (at any depth), and the exact text of each top-level value; json_decode
 * then builds the values.
 */
final class StrictJson
{
    private int $pos = 0;
    private bool $nestedDuplicate = false;
    /** @var list<string> */
    private array $names = [];
    /** @var array<string, string> */
    private array $raw = [];

    private function __construct(private readonly string $text)
    {
    }

    /**
     * @return array{value: array<string, mixed>, names: list<string>, raw: array<string, string>, duplicate: bool}
     *   `names`: the top-level member names in order, repeats included; `raw`: each top-level
     *   member's value as written (the last one for a repeated name); `duplicate`: whether any
     *   object, at any depth, repeats a name.
     * @throws \InvalidArgumentException when the bytes are not a UTF-8 JSON object
     */
    public static function object(string $bytes): array
    {
        if (preg_match('//u', $bytes) !== 1) {
            throw new \InvalidArgumentException('not UTF-8');
        }
        $scanner = new self($bytes);
        $scanner->ws();
        if (($bytes[$scanner->pos] ?? '') !== '{') {
            throw new \InvalidArgumentException('not a JSON object');
        }
        $scanner->value(0, true);
        $scanner->ws();
        if ($scanner->pos !== strlen($bytes)) {
            throw new \InvalidArgumentException('trailing bytes');
        }
        $value = json_decode($bytes, true, 512, JSON_BIGINT_AS_STRING);
        if (!is_array($value)) {
            throw new \InvalidArgumentException('not a JSON object');
        }
        $duplicate = $scanner->nestedDuplicate || count($scanner->names) !== count(array_unique($scanner->names));
        return ['value' => $value, 'names' => $scanner->names, 'raw' => $scanner->raw, 'duplicate' => $duplicate];
    }

    private function ws(): void
    {
        $this->pos += strspn($this->text, " \t\n\r", $this->pos);
    }

    private function match(string $pattern): string
    {
        if (preg_match($pattern, $this->text, $m, 0, $this->pos) !== 1) {
            throw new \InvalidArgumentException("bad JSON at byte {$this->pos}");
        }
        $this->pos += strlen($m[0]);
        return $m[0];
    }

    private function string(): string
    {
        $literal = $this->match('/\G"(?:[^"\\\\\x00-\x1f]|\\\\(?:["\\\\\/bfnrt]|u[0-9a-fA-F]{4}))*"/');
        $decoded = json_decode($literal); // resolves escapes: "s\u0075b" is the name "sub"
        if (!is_string($decoded)) {
            throw new \InvalidArgumentException('bad string'); // e.g. a lone surrogate
        }
        return $decoded;
    }

    private function value(int $depth, bool $top = false): void
    {
        if ($depth > 64) {
            throw new \InvalidArgumentException('nested too deeply');
        }
        $c = $this->text[$this->pos] ?? '';
        if ($c === '{') {
            $this->pos++;
            $seen = [];
            $this->ws();
            if (($this->text[$this->pos] ?? '') === '}') {
                $this->pos++;
                return;
            }
            while (true) {
                $this->ws();
                $name = $this->string();
                if (isset($seen["k$name"])) {
                    $this->nestedDuplicate = true;
                }
                $seen["k$name"] = true;
                $this->ws();
                $this->match('/\G:/');
                $this->ws();
                $start = $this->pos;
                $this->value($depth + 1);
                if ($top) {
                    $this->names[] = $name;
                    $this->raw[$name] = substr($this->text, $start, $this->pos - $start);
                }
                $this->ws();
                if ($this->match('/\G[,}]/') === '}') {
                    return;
                }
            }
        }
        if ($c === '[') {
            $this->pos++;
            $this->ws();
            if (($this->text[$this->pos] ?? '') === ']') {
                $this->pos++;
                return;
            }
            while (true) {
                $this->ws();
                $this->value($depth + 1);
                $this->ws();
                if ($this->match('/\G[,\]]/') === ']') {
                    return;
                }
            }
        }
        if ($c === '"') {
            $this->string();
            return;
        }
        $this->match('/\G(?:-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null)/');
    }
}
