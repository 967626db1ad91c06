package dev.shallow.analysis;

/**
 * Calibration losses of many variants of a model, summed over a range of the calibration set (rows may be null: a layer
 * with no variants).
 */
record Losses(CalibrationLoss[][] losses) implements Partial<Losses> {
    @Override
    public void merge(Losses other) {
        for (int r = 0; r < losses.length; r++) {
            if (losses[r] != null) for (int v = 0; v < losses[r].length; v++) losses[r][v].merge(other.losses[r][v]);
        }
    }

    /** Each variant's mean loss (nats per predicted token), null rows kept. */
    double[][] means() {
        double[][] out = new double[losses.length][];
        for (int r = 0; r < losses.length; r++) {
            if (losses[r] == null) continue;
            out[r] = new double[losses[r].length];
            for (int v = 0; v < out[r].length; v++) out[r][v] = losses[r][v].mean();
        }
        return out;
    }
}
