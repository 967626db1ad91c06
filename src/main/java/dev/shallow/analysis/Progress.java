package dev.shallow.analysis;

/** Told how far a long calibration job has got, in tokens processed of a phase ("pass", "ablation", ...). */
@FunctionalInterface
public interface Progress {
    Progress NONE = (phase, done, total) -> {
    };

    void update(String phase, long doneTokens, long totalTokens);

    /** As {@link #update(String, long, long)}, counting {@code unit} (such as "requests") instead of tokens. */
    default void update(String phase, long done, long total, String unit) {
        update(phase, done, total);
    }

    /** A one-line message for the user, such as why the run goes layer by layer (ignored by default). */
    default void note(String message) {
    }
}
