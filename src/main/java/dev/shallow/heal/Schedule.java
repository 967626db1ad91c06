package dev.shallow.heal;

/**
 * Learning rate: linear warm-up from 0 to the peak over warmupSteps, then cosine decay to
 * peak * floor at totalSteps, and the floor after. As Hugging Face's
 * get_cosine_with_min_lr_schedule_with_warmup (min_lr_rate = floor), whose LambdaLR gives update
 * number s + 1 the rate of step s, so with warm-up the first update has rate 0.
 */
public record Schedule(double peak, int warmupSteps, int totalSteps, double floor) {
    public Schedule {
        if (warmupSteps < 0 || totalSteps < warmupSteps) throw new IllegalArgumentException("need 0 <= warmup <= total steps");
        if (!(floor >= 0 && floor <= 1)) throw new IllegalArgumentException("floor is a fraction of the peak in [0, 1], got " + floor);
    }

    /** The rate after {@code step} updates (for update number step + 1). */
    public double rate(int step) {
        if (step < warmupSteps) return peak * step / warmupSteps;
        double progress = Math.min(1, (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
        return peak * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }
}
