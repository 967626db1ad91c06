package dev.shallow.heal;

/** A loss on the residual stream after some of the layers training runs (distillation's hidden-state term). */
public interface StreamLoss {
    /** No term anywhere. */
    StreamLoss NONE = new StreamLoss() {
        @Override
        public boolean at(int position) {
            return false;
        }

        @Override
        public double lossAndGradient(int position, double[] x, double[] dx) {
            throw new IllegalStateException("no stream loss");
        }
    };

    /** Whether the stream after the layer at {@code position} (in the trained subset) has a term. */
    boolean at(int position);

    /** The term of stream x [tokens, hidden] after that layer; when dx is not null, dloss/dx is added to it. */
    double lossAndGradient(int position, double[] x, double[] dx);
}
