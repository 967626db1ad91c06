package dev.shallow.heal;

import java.util.Map;

/**
 * Distillation's hidden-state term: at each cut, {@code weight} x the mean over tokens and dimensions of (x - x_t)^2,
 * x the student's residual stream after the kept layer before the cut, x_t the teacher's after the removed block (the
 * stream entering the next kept layer), as FitNets' hint loss (Romero et al. 2015) with an identity regressor.
 */
final class CutLoss implements StreamLoss {
    private final double weight;
    private final Map<Integer, float[]> targets;

    /** {@code targets}: by position in the student's layers, the teacher's stream [tokens, hidden] after that cut. */
    CutLoss(double weight, Map<Integer, float[]> targets) {
        this.weight = weight;
        this.targets = Map.copyOf(targets);
    }

    @Override
    public boolean at(int position) {
        return targets.containsKey(position);
    }

    @Override
    public double lossAndGradient(int position, double[] x, double[] dx) {
        float[] t = targets.get(position);
        double sum = 0, scale = weight / t.length;
        for (int i = 0; i < t.length; i++) {
            double d = x[i] - t[i];
            sum += d * d;
            if (dx != null) dx[i] += 2 * scale * d; // d/dx of weight mean (x - t)^2
        }
        return scale * sum;
    }
}
