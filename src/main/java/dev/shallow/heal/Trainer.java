package dev.shallow.heal;

import java.util.List;
import java.util.function.Function;

/**
 * The optimisation loop of healing, one optimizer step at a time. Step s (0-based) trains on
 * sequences [s K B, (s + 1) K B) of the data as K micro-batches of B sequences; micro-batch m drops
 * out with the masks of key s K + m (the adapters hold the seed), so the masks depend on (seed, s, m)
 * only. Every micro-batch has B (T - 1) targets, so the mean of the K micro-batch gradients is the
 * gradient of the mean loss over the step's targets. Then global-norm clipping and an AdamW update
 * at the schedule's rate for step s. The loss is next-token cross-entropy, or the objective given per micro-batch
 * (distillation's, from the teacher's forward pass on the same sequences).
 */
public final class Trainer {
    private final TrainableModel model;
    private final TrainingData data;
    private final HealOptions options;
    private final AdamW adam;
    private final Schedule schedule;
    private final Function<int[][], Objective> objectives;

    /** One optimizer step: its number (0-based), mean training loss, gradient norm before clipping and learning rate. */
    public record Step(int index, double loss, double gradNorm, double lr) {
    }

    /** Training on {@code windows} (token sequences of {@code options.seqLen()}), visited in the order {@code options.seed()} gives. */
    public static Trainer over(TrainableModel model, int[][] windows, HealOptions options) {
        return over(model, windows, options, seqs -> Objective.NEXT_TOKEN);
    }

    /** The same, minimising {@code objectives.apply(sequences)} on each micro-batch's sequences (distillation: the teacher's targets). */
    public static Trainer over(TrainableModel model, int[][] windows, HealOptions options, Function<int[][], Objective> objectives) {
        return new Trainer(model, new TrainingData(windows, options.seed()), options, objectives);
    }

    Trainer(TrainableModel model, TrainingData data, HealOptions options) {
        this(model, data, options, seqs -> Objective.NEXT_TOKEN);
    }

    private Trainer(TrainableModel model, TrainingData data, HealOptions options, Function<int[][], Objective> objectives) {
        this.objectives = objectives;
        this.model = model;
        this.data = data;
        this.options = options;
        this.adam = AdamW.withDefaults(options.weightDecay());
        this.schedule = options.schedule();
    }

    AdamW optimizer() {
        return adam;
    }

    /** Steps done (the next step's number). */
    int stepsDone() {
        return adam.steps();
    }

    /** Sequences trained on so far: the data position. */
    long sequencesDone() {
        return (long) stepsDone() * options.accumulate() * options.batch();
    }

    public Step step() {
        int s = stepsDone(), k = options.accumulate(), b = options.batch();
        List<Param> params = model.parameters();
        model.zeroGradients();
        double loss = 0;
        for (int m = 0; m < k; m++) {
            int[][] seqs = data.sequences(((long) s * k + m) * b, b);
            loss += model.lossAndGradients(Batch.nextToken(seqs), (long) s * k + m, objectives.apply(seqs)) / k;
        }
        for (Param p : params) {
            double[] g = p.grad();
            for (int i = 0; i < g.length; i++) g[i] /= k; // mean over the K equal micro-batches = mean over the step's targets
        }
        double norm = GradientClipping.clip(params, options.maxGradNorm());
        double lr = schedule.rate(s);
        adam.step(params, lr);
        return new Step(s, loss, norm, lr);
    }
}
