package cvplugin;

/** A refused launch token; {@link #code} is the PROTOCOL.md §6 code. Log it, never the token. */
public final class LaunchTokenError extends Exception {
    private static final long serialVersionUID = 1L;

    public final String code;

    public LaunchTokenError(String code) {
        this(code, "");
    }

    public LaunchTokenError(String code, String detail) {
        super(detail.isEmpty() ? code : code + ": " + detail, null, false, false);
        this.code = code;
    }

    /** 503 for the verifier's own faults, 401 for the token's (§6, "Answering a refusal"). */
    public int httpStatus() {
        return switch (code) {
            case "keys_unavailable", "replay_store_unavailable", "replay_capacity_exceeded" -> 503;
            default -> 401;
        };
    }
}
