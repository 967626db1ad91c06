package dev.shallow.bench;

/** Prefill and decode speed of the model with {@code removal}'s layers removed (none for the full model). */
public record PrunedSpeed(LayerRemoval removal, Measurement prefill, Measurement decode) {
    /** This model's prefill tokens/s over the full model's. */
    public double prefillSpeedup(PrunedSpeed full) {
        return prefill.perSecond() / full.prefill.perSecond();
    }

    public double decodeSpeedup(PrunedSpeed full) {
        return decode.perSecond() / full.decode.perSecond();
    }
}
