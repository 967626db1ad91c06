package dev.shallow.heal;

import dev.shallow.ShallowException;

import java.io.Serializable;

/**
 * How healing distils from a teacher (the unpruned model): per predicted token the loss is
 * {@code alpha} T^2 KL(p_teacher^T || p_student^T) + (1 - alpha) cross-entropy(next token), plus {@code hidden} times the
 * mean squared difference of the residual streams at each cut. Each is named as the {@code shallow heal} option that sets it.
 *
 * @param topK        the teacher's distribution is its softmax at T over its {@code topK} largest logits, renormalised over them
 *                    (the tail's mass is dropped)
 * @param temperature T, dividing both models' logits
 * @param alpha       weight of the KL term; 1 - alpha weighs next-token cross-entropy
 * @param hidden      weight of the hidden-state term (0: none)
 */
public record KdOptions(int topK, double temperature, double alpha, double hidden) implements Serializable {
    public static final int DEFAULT_TOP_K = 64;
    public static final double DEFAULT_TEMPERATURE = 1, DEFAULT_ALPHA = 1, DEFAULT_HIDDEN = 0;

    public KdOptions {
        if (topK < 1) throw new ShallowException("--kd-top-k must be at least 1, got " + topK);
        if (!(temperature > 0) || Double.isInfinite(temperature)) throw new ShallowException("--kd-temperature must be positive, got " + temperature);
        if (!(alpha >= 0 && alpha <= 1)) throw new ShallowException("--kd-alpha must be in [0, 1], got " + alpha);
        if (!(hidden >= 0) || Double.isInfinite(hidden)) throw new ShallowException("--kd-hidden must be >= 0, got " + hidden);
    }

    public static KdOptions defaults() {
        return new KdOptions(DEFAULT_TOP_K, DEFAULT_TEMPERATURE, DEFAULT_ALPHA, DEFAULT_HIDDEN);
    }
}
