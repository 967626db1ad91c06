package dev.shallow.analysis;

/** Told how far a long calibration job has got, in tokens processed of a phase ("pass", "ablation", ...). */
@FunctionalInterface
public interface Progress {
    Progress NONE = (phase, done, total) -> {
    };

    void update(String phase, long doneTokens, long totalTokens);
}
