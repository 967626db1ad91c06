package dev.shallow.bench;

import dev.shallow.analysis.Analyser;
import dev.shallow.analysis.AnalysisOptions;
import dev.shallow.eval.HarnessEncoding;
import dev.shallow.eval.PrefixSharing;
import dev.shallow.eval.TransformerLM;
import dev.shallow.heal.Base;
import dev.shallow.heal.HealOptions;
import dev.shallow.heal.LoraConfig;
import dev.shallow.heal.Precision;
import dev.shallow.heal.TrainableModel;
import dev.shallow.heal.Trainer;
import dev.shallow.model.Model;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.KVCache;
import dev.shallow.transformer.Transformer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Shallow's side of {@code shallow bench}: times a {@link Workload} through the {@link Transformer}.
 * Prefill computes the whole prompt (batch: all prompts together) into fresh caches and the logits of
 * each prompt's last token; decode times {@code decodeSteps} greedy single-token steps after the
 * untimed prefill of its prompt; eval scores the log-likelihood requests with {@link TransformerLM} (answers of a
 * question share its context's forward pass); train times LoRA training steps ({@link Trainer}); the pruned
 * models rerun prefill and decode with layers removed; the analysis overhead times a calibration batch with and
 * without the analysis pass; the sliding benchmark times long prompts with a sliding window and with full attention.
 */
public final class Bench {
    /** Tokens per forward call of the eval workload: {@code shallow eval}'s default --batch-tokens. */
    static final int EVAL_BATCH_TOKENS = 2048;
    /** Fractions of the layers the pruned-model workload removes. */
    public static final List<String> PRUNED_FRACTIONS = List.of("0.25", "0.5");

    /** Hears each workload's result as soon as it is measured. */
    @FunctionalInterface
    public interface Listener {
        void measured(String workload, String unit, Measurement m);
    }

    private final Transformer transformer;
    private final int repeats;
    private final double budgetSeconds;
    private final Listener listener;

    public Bench(Transformer transformer, int repeats, double budgetSeconds, Listener listener) {
        this.transformer = transformer;
        this.repeats = repeats;
        this.budgetSeconds = budgetSeconds;
        this.listener = listener;
    }

    /** The selected workloads PyTorch runs too, in {@link BenchPart} order. */
    public Map<BenchPart, Measurement> run(Workload w, Set<BenchPart> parts) {
        Map<BenchPart, Measurement> out = new EnumMap<>(BenchPart.class);
        for (BenchPart part : parts) {
            if (!part.hasTorchBaseline()) continue;
            Measurement m = switch (part) {
                case PREFILL -> prefill(new int[][]{w.prompt()}, new int[][]{w.prompt()});
                case LONG_PREFILL -> prefill(new int[][]{w.longPrompt()}, new int[][]{w.longPrompt()});
                case BATCH_PREFILL -> prefill(w.batch(), Arrays.copyOf(w.batch(), 1));
                case DECODE -> decode(w);
                case EVAL -> eval(w.eval());
                case TRAIN -> train(w.training());
                case PRUNED, ANALYSE, SLIDING, GGUF -> throw new IllegalStateException(part + " has no PyTorch row");
            };
            out.put(part, m);
            listener.measured(part.rowName(w), part.unit(), m);
        }
        return out;
    }

    /** Prefill of the prompt and decode of the full model, then of the model without each of {@link #PRUNED_FRACTIONS} of its layers. */
    public List<PrunedSpeed> pruned(Workload w) {
        int layers = transformer.model().config().numLayers();
        List<LayerRemoval> removals = new ArrayList<>(List.of(LayerRemoval.none(layers)));
        for (String f : PRUNED_FRACTIONS) removals.add(LayerRemoval.deepestExceptLast(f, layers));
        List<PrunedSpeed> out = new ArrayList<>();
        for (LayerRemoval r : removals) {
            Bench b = new Bench(new Transformer(transformer.model(), r.kept()), repeats, budgetSeconds, listener);
            PrunedSpeed s = new PrunedSpeed(r, b.prefill(new int[][]{w.prompt()}, new int[][]{w.prompt()}), b.decode(w));
            String name = "pruned " + r.kept().length + "/" + layers + " layers ";
            listener.measured(name + w.promptName(), "tok/s", s.prefill());
            listener.measured(name + Workload.DECODE, "tok/s", s.decode());
            out.add(s);
        }
        return out;
    }

    /**
     * One prompt of random ids at each of {@code shape}'s contexts through this model (sliding-window layers) and through
     * {@code full} (the same weights with full attention), timed alternately after a warm-up of both on the shortest.
     */
    public SlidingSpeed sliding(SlidingShape shape, Transformer full, long seed) {
        Bench fullBench = new Bench(full, repeats, budgetSeconds, listener);
        List<Integer> contexts = shape.contexts();
        int[] ids = Workload.ids(new SplittableRandom(seed), shape.shape().vocab(), contexts.getLast());
        int[][] shortest = {Arrays.copyOf(ids, contexts.getFirst())};
        Runnable warmUp = () -> {
            prefill(shortest);
            fullBench.prefill(shortest);
        };
        List<SlidingPrefill> out = new ArrayList<>();
        for (int tokens : contexts) {
            int[][] prompt = {Arrays.copyOf(ids, tokens)};
            BestOf.Result[] r = BestOf.alternating(warmUp, () -> prefill(prompt), () -> fullBench.prefill(prompt), repeats, budgetSeconds);
            SlidingPrefill p = new SlidingPrefill(tokens, Measurement.measured(tokens, r[0]), Measurement.measured(tokens, r[1]),
                    transformer.newCache(tokens).bytes(0), full.newCache(tokens).bytes(0));
            listener.measured("sliding-window prefill_1x" + tokens, "tok/s", p.sliding());
            listener.measured("full-attention prefill_1x" + tokens, "tok/s", p.full());
            out.add(p);
        }
        return new SlidingSpeed(shape, out);
    }

    /**
     * The calibration batch (equal-length sequences) through a plain forward and through the analysis pass with
     * {@code options} (one forward of the whole batch each when {@code options.batchSequences()} covers it), timed alternately
     * after a warm-up of both on the first sequence.
     */
    public AnalysisOverhead analysisOverhead(int[][] calibration, AnalysisOptions options) {
        int tokens = calibration.length * calibration[0].length;
        int[][] first = Arrays.copyOf(calibration, 1);
        Runnable warmUp = () -> {
            prefill(first);
            Analyser.measure(transformer, first, options);
        };
        BestOf.Result[] r = BestOf.alternating(warmUp, () -> prefill(calibration), () -> Analyser.measure(transformer, calibration, options),
                repeats, budgetSeconds);
        AnalysisOverhead o = new AnalysisOverhead(calibration.length, calibration[0].length, options.ckaTokens(),
                Measurement.measured(tokens, r[0]), Measurement.measured(tokens, r[1]));
        listener.measured(o.name() + " plain", "tok/s", o.plain());
        listener.measured(o.name() + " analysis", "tok/s", o.analysis());
        return o;
    }

    private Measurement prefill(int[][] seqs, int[][] warmUp) {
        BestOf.Result r = BestOf.run(() -> prefill(warmUp), () -> BestOf.seconds(() -> prefill(seqs)), repeats, budgetSeconds);
        return Measurement.measured(Arrays.stream(seqs).mapToInt(s -> s.length).sum(), r);
    }

    private void prefill(int[][] seqs) {
        KVCache[] caches = new KVCache[seqs.length];
        for (int b = 0; b < seqs.length; b++) caches[b] = transformer.newCache(seqs[b].length);
        transformer.forward(seqs, caches, false, null);
    }

    private Measurement decode(Workload w) {
        return Measurement.measured(w.decodeSteps(), BestOf.run(() -> decodeSeconds(w), () -> decodeSeconds(w), repeats, budgetSeconds));
    }

    /** Seconds of the decode steps (the prompt's prefill is not timed). */
    private double decodeSeconds(Workload w) {
        KVCache cache = transformer.newCache(w.decodePrompt().length + w.decodeSteps());
        float[] logits = transformer.forward(w.decodePrompt(), cache, false);
        long t0 = System.nanoTime();
        for (int i = 0; i < w.decodeSteps(); i++) logits = transformer.forward(new int[]{argmax(logits)}, cache, false);
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Requests/s of all requests, after a warm-up on the first question's. */
    private Measurement eval(EvalWorkload e) {
        TransformerLM lm = evalModel();
        BestOf.Result r = BestOf.run(() -> lm.logLikelihoods(e.firstQuestion()), () -> BestOf.seconds(() -> lm.logLikelihoods(e.requests())),
                repeats, budgetSeconds);
        return Measurement.measured(e.size(), r);
    }

    /** The model as {@code shallow eval} runs it (prefix sharing on, the harness's default encoding). */
    TransformerLM evalModel() {
        Model model = transformer.model();
        return new TransformerLM(transformer, HarnessEncoding.of(Tokenizer.load(model.dir()), false, model.config().maxPositionEmbeddings()),
                EVAL_BATCH_TOKENS, PrefixSharing.heapShare());
    }

    /** Tokens/s of training steps on the workload's sequences, after one untimed step. */
    private Measurement train(TrainingWorkload t) {
        int[][] seqs = t.sequences();
        HealOptions o = new HealOptions("bench", "text", null, 1, TrainingWorkload.RANK, TrainingWorkload.ALPHA, TrainingWorkload.DROPOUT,
                LoraConfig.ALL, (repeats + 1L) * t.tokens(), TrainingWorkload.LEARNING_RATE, 0, seqs.length, seqs[0].length,
                1, false, 0, 0, TrainingWorkload.MAX_GRAD_NORM);
        TrainableModel model = new TrainableModel(Base.dense(transformer.model()), transformer.layers(), o.lora(), Precision.FLOAT32, false);
        Trainer trainer = Trainer.over(model, seqs, o);
        return Measurement.measured(t.tokens(), BestOf.run(trainer::step, () -> BestOf.seconds(trainer::step), repeats, budgetSeconds));
    }

    private static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
