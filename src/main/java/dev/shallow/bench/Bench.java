package dev.shallow.bench;

import dev.shallow.analysis.Analyser;
import dev.shallow.analysis.AnalysisOptions;
import dev.shallow.transformer.KVCache;
import dev.shallow.transformer.Transformer;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Shallow's side of {@code shallow bench}: times a {@link Workload} through the {@link Transformer}.
 * Prefill computes the whole prompt (batch: all prompts together) into fresh caches and the logits of
 * each prompt's last token; decode times {@code decodeSteps} greedy single-token steps after the
 * untimed prefill of its prompt; the analysis overhead times a calibration batch with and without the analysis pass.
 */
public final class Bench {
    private final Transformer transformer;
    private final int repeats;
    private final double budgetSeconds;
    private final BiConsumer<String, Measurement> progress;

    /** {@code progress} hears each workload's result as soon as it is measured. */
    public Bench(Transformer transformer, int repeats, double budgetSeconds, BiConsumer<String, Measurement> progress) {
        this.transformer = transformer;
        this.repeats = repeats;
        this.budgetSeconds = budgetSeconds;
        this.progress = progress;
    }

    /** Tokens/s of each selected PyTorch-comparable workload, in the order prompt prefill, batch prefill, decode. */
    public Map<String, Measurement> run(Workload w, Set<BenchPart> parts) {
        Map<String, Measurement> out = new LinkedHashMap<>();
        int[][] one = {w.prompt()};
        int[][] warmBatch = Arrays.copyOf(w.batch(), 1);
        if (parts.contains(BenchPart.PREFILL)) put(out, w.promptName(), prefill(one, one));
        if (parts.contains(BenchPart.BATCH_PREFILL)) put(out, w.batchName(), prefill(w.batch(), warmBatch));
        if (parts.contains(BenchPart.DECODE)) {
            BestOf.Result decode = BestOf.run(() -> decode(w), () -> decode(w), repeats, budgetSeconds);
            put(out, Workload.DECODE, Measurement.measured(w.decodeSteps(), decode));
        }
        return out;
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
        progress.accept(o.name() + " plain", o.plain());
        progress.accept(o.name() + " analysis", o.analysis());
        return o;
    }

    private void put(Map<String, Measurement> out, String workload, Measurement m) {
        out.put(workload, m);
        progress.accept(workload, m);
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

    /** Seconds of the decode steps (the prompt's prefill is not timed). */
    private double decode(Workload w) {
        KVCache cache = transformer.newCache(w.decodePrompt().length + w.decodeSteps());
        float[] logits = transformer.forward(w.decodePrompt(), cache, false);
        long t0 = System.nanoTime();
        for (int i = 0; i < w.decodeSteps(); i++) logits = transformer.forward(new int[]{argmax(logits)}, cache, false);
        return (System.nanoTime() - t0) / 1e9;
    }

    private static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
