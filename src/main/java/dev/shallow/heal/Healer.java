package dev.shallow.heal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.Version;
import dev.shallow.analysis.ModelIdentity;
import dev.shallow.data.CalibrationOptions;
import dev.shallow.data.CalibrationSet;
import dev.shallow.data.Datasets;
import dev.shallow.data.DocumentSource;
import dev.shallow.io.AtomicFiles;
import dev.shallow.io.Finite;
import dev.shallow.io.GgufWeights;
import dev.shallow.io.OutputPolicy;
import dev.shallow.io.RunLock;
import dev.shallow.model.AbsentSubBlocks;
import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.Transformer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A healing run: LoRA adapters on every layer of a (pruned) model, trained on text by {@link Trainer}
 * with checkpoints in OUT every {@code saveEvery} steps, the held-out loss before and after, then the
 * adapter in PEFT's format in OUT ({@link PeftAdapter}), {@code heal.json} (options, losses, timing)
 * and, when asked, the merged model in OUT/merged (OUT/merged.gguf for a GGUF model) ({@link Merger}).
 * <p>
 * MODEL is the model the adapter belongs to: to heal a model without some layers, prune it first
 * ({@code shallow prune}); the adapter's layer indices are then the pruned checkpoint's, which is
 * what PEFT loads it onto. A GGUF model (float or quantized: QLoRA over its frozen blocks) heals into the
 * adapter of its Hugging Face form, under PEFT's names of the family's modules, and its merged model is a GGUF
 * file. Everything that can be refused (options against the model, the data,
 * OUT) is checked before anything is written. A fresh run needs OUT absent or empty; {@code resume}
 * needs OUT's checkpoint, taken with the same options on the same model.
 */
public final class Healer {
    public static final String SUMMARY = "heal.json", MERGED = "merged", MERGED_GGUF = "merged.gguf";
    /** A training loss above this many times the run's first is divergence, not noise (healing starts near its worst loss). */
    static final double EXPLODED = 4;
    /** Tokens per held-out loss batch. */
    private static final int HELDOUT_BATCH_TOKENS = 4096;

    private Healer() {
    }

    /** Where a run reports: each step and the phases around training. */
    public interface Listener {
        void phase(String what);

        /** After each step: its number (from 1), the run's steps, its mean loss and learning rate. */
        void step(int done, int steps, double loss, double lr);
    }

    /**
     * What a run did. {@code stepsThisRun} were trained now (the others before a resume);
     * {@code stopped}: interrupted by {@code stopAfter}, so nothing but checkpoints was written.
     * The NF4 losses are NaN for a dense run; {@code teacher} is the model distilled from, or null.
     */
    public record Result(int steps, int stepsThisRun, long tokensPerStep, double seconds, List<Double> losses, int heldoutDocs,
                         long heldoutTokens, double before, double after, double beforeNf4, double afterNf4, long trainable,
                         int windows, boolean stopped, Path teacher) {
    }

    /**
     * Runs (or resumes) healing of the model in {@code modelDir} into {@code out}. {@code sharedData}
     * resolves dataset names; {@code saveEvery} 0 checkpoints only at the end; {@code stopAfter} &gt; 0
     * stops after that many steps as if interrupted (for tests).
     */
    public static Result run(Path modelDir, HealOptions o, Path sharedData, Path out, boolean resume, int saveEvery, int stopAfter,
                             boolean merge, Listener listener) {
        return run(modelDir, null, o, sharedData, out, resume, saveEvery, stopAfter, merge, listener);
    }

    /**
     * The same; with {@code o.kd()} distilling from {@code teacher} ({@link Teacher#of}: null is the model MODEL was pruned
     * from, as its pruning recorded it). Ignored without {@code o.kd()}.
     */
    public static Result run(Path modelDir, Path teacher, HealOptions o, Path sharedData, Path out, boolean resume, int saveEvery, int stopAfter,
                             boolean merge, Listener listener) {
        OutputPolicy.requireApart(out, modelDir, OutputPolicy.existing(o.data()), OutputPolicy.existing(o.heldout()), teacher);
        try (Model model = Model.load(modelDir); RunLock lock = RunLock.directory(out)) {
            ModelConfig c = model.config();
            if (AbsentSubBlocks.of(modelDir).any()) { // LoRA on a removed sub-block would bring it back; the trainer runs every sub-block
                throw ShallowException.at(modelDir, "has attention or MLP sub-blocks removed (prune --remove-attention/--remove-mlp); healing such a model is not implemented yet");
            }
            checkAgainstModel(o, c);
            Tokenizer tokenizer = Tokenizer.load(modelDir);
            try (Teacher t = o.kd() == null ? null : Teacher.of(modelDir, c, tokenizer, teacher)) {
                if (t != null) {
                    OutputPolicy.requireApart(out, t.path());
                    if (o.kd().hidden() > 0 && t.cuts().isEmpty()) {
                        throw ShallowException.at(t.path(), "--kd-hidden needs the teacher to be the model " + modelDir
                                + " was pruned from (its recorded source), whose layers the cuts refer to");
                    }
                }
                return run(model, modelDir, t, o, sharedData, out, resume, saveEvery, stopAfter, merge, listener, tokenizer);
            }
        }
    }

    private static Result run(Model model, Path modelDir, Teacher teacher, HealOptions o, Path sharedData, Path out, boolean resume, int saveEvery,
                              int stopAfter, boolean merge, Listener listener, Tokenizer tokenizer) {
        ModelConfig c = model.config();
        String fingerprint = ModelIdentity.fingerprint(modelDir);
        String teacherFingerprint = teacher == null ? null : teacher.fingerprint();
        Path teacherPath = teacher == null ? null : teacher.path();
        TrainingCheckpoint.State state = resume ? resumable(out, o, fingerprint, teacherFingerprint) : fresh(out);
        Texts texts = texts(o, tokenizer, c.maxPositionEmbeddings(), sharedData);
        int[][] windows = texts.windows(), heldout = texts.heldout();

        // the student on the teacher's weights when they are its bytes (one model read); adapters are named by position either way
        boolean shared = teacher != null && teacher.holdsTheWeightsOf(model);
        Model weights = shared ? teacher.model() : model;
        int[] layers = shared ? teacher.kept() : Transformer.allLayers(c.numLayers());
        LoraConfig lora = o.lora();
        TrainableModel dense = new TrainableModel(Base.dense(weights), layers, lora, Precision.FLOAT32, false);
        TrainableModel trained = o.nf4() ? new TrainableModel(Base.nf4(weights, layers), layers, lora, Precision.FLOAT32, false) : dense;
        if (teacher != null) listener.phase(shared ? "the student runs on the teacher's weights (the kept layers are the same bytes)"
                : "the student's weights differ from the teacher's kept layers: both models are read");
        listener.phase("held-out loss before healing");
        double before = Finite.require(loss(dense, heldout), "heal: the held-out loss before healing");
        double beforeNf4 = o.nf4() ? Finite.require(loss(trained, heldout), "heal: the held-out loss on the NF4 base") : Double.NaN;

        Trainer trainer = teacher == null ? Trainer.over(trained, windows, o) : Trainer.over(trained, windows, o, seqs -> teacher.objective(seqs, o.kd()));
        List<Double> losses = new ArrayList<>();
        if (state != null) {
            TrainingCheckpoint.restore(out, state, trained.parameters(), trainer.optimizer());
            losses.addAll(state.losses());
        }
        int first = trainer.stepsDone(), steps = o.steps(), saved = first;
        long t0 = System.nanoTime();
        listener.phase("training");
        while (trainer.stepsDone() < steps) {
            if (stopAfter > 0 && trainer.stepsDone() >= stopAfter) {
                return new Result(steps, trainer.stepsDone() - first, o.tokensPerStep(), (System.nanoTime() - t0) / 1e9, losses,
                        heldout.length, tokens(heldout), before, Double.NaN, beforeNf4, Double.NaN, trainable(trained), windows.length, true, teacherPath);
            }
            Trainer.Step s = trainer.step();
            double reference = losses.isEmpty() ? s.loss() : losses.getFirst();
            if (!Double.isFinite(s.loss()) || !Double.isFinite(s.gradNorm()) || s.loss() > EXPLODED * reference) {
                throw diverged(out, o, s, steps, reference, saved);
            }
            losses.add(s.loss());
            listener.step(s.index() + 1, steps, s.loss(), s.lr());
            if (trainer.stepsDone() == steps || (saveEvery > 0 && trainer.stepsDone() % saveEvery == 0)) {
                TrainingCheckpoint.save(out, new TrainingCheckpoint.State(o, fingerprint, teacherFingerprint, trainer.stepsDone(), trainer.sequencesDone(),
                        losses), trained.parameters(), trainer.optimizer());
                saved = trainer.stepsDone();
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;

        listener.phase("held-out loss after healing");
        if (trained != dense) copyValues(trained.parameters(), dense.parameters());
        double after = Finite.require(loss(dense, heldout), "heal: the held-out loss after healing");
        double afterNf4 = o.nf4() ? Finite.require(loss(trained, heldout), "heal: the held-out loss after healing on the NF4 base") : Double.NaN;
        listener.phase("writing the adapter" + (merge ? " and the merged model" : ""));
        String base = modelDir.toAbsolutePath().normalize().toString();
        PeftAdapter.write(out, lora, dense.targets(), base, dense.parameters());
        Result r = new Result(steps, steps - first, o.tokensPerStep(), seconds, losses, heldout.length, tokens(heldout), before, after,
                beforeNf4, afterNf4, trainable(trained), windows.length, false, teacherPath);
        AtomicFiles.writeJson(out.resolve(SUMMARY), summary(o, base, fingerprint, teacher, r));
        if (merge && model.isGguf()) {
            int retyped = Merger.writeGguf(model, dense.adapters(), PeftAdapter.config(lora, dense.targets(), base), out.resolve(MERGED_GGUF));
            if (retyped > 0) {
                listener.phase(retyped + " merged tensors of types Shallow does not encode (Q4_0, K-quants) were written as Q8_0 "
                        + "(requantize with llama.cpp's llama-quantize for a smaller file)");
            }
        } else if (merge) Merger.write(model, dense.adapters(), PeftAdapter.config(lora, dense.targets(), base), out.resolve(MERGED));
        return r;
    }

    /** Why the run stops at step {@code s}: its loss or gradient, and what is kept (nothing after the last good checkpoint is written). */
    private static ShallowException diverged(Path out, HealOptions o, Trainer.Step s, int steps, double reference, int saved) {
        String what = !Double.isFinite(s.loss()) ? "training loss " + s.loss() : !Double.isFinite(s.gradNorm()) ? "gradient norm " + s.gradNorm()
                : String.format(Locale.ROOT, "training loss %.4f, over %.0f x the first step's %.4f", s.loss(), EXPLODED, reference);
        String kept = saved > 0 ? TrainingCheckpoint.stateFile(out).getParent() + " keeps step " + saved + ", the last good checkpoint"
                : "no checkpoint was saved";
        return ShallowException.at(out, "healing diverged at step " + (s.index() + 1) + " of " + steps + " (" + what + "); stopped: " + kept
                + ", no adapter written; try a lower --lr than " + o.lr());
    }

    /** Training windows and held-out sequences (BOS + a document, up to the context). */
    private record Texts(int[][] windows, int[][] heldout) {
    }

    /** The packed training text and the held-out documents: those of --heldout, or the last of --data (not trained on). */
    private static Texts texts(HealOptions o, Tokenizer tok, int context, Path sharedData) {
        DocumentSource source = Datasets.resolve(o.data(), o.textField(), sharedData);
        List<String> docs = source.read(), held;
        if (o.heldout() == null) {
            if (docs.size() <= o.heldoutSamples()) {
                throw ShallowException.at(source.file(), "has " + docs.size() + " documents; holding out the last "
                        + o.heldoutSamples() + " (--heldout-samples) leaves none to train on");
            }
            held = docs.subList(docs.size() - o.heldoutSamples(), docs.size());
            docs = docs.subList(0, docs.size() - o.heldoutSamples());
        } else {
            List<String> all = Datasets.resolve(o.heldout(), o.textField(), sharedData).read();
            held = all.subList(0, Math.min(all.size(), o.heldoutSamples()));
        }
        int[][] windows = CalibrationSet.packAll(docs, tok, o.seqLen());
        int perStep = o.batch() * o.accumulate();
        if (windows.length < perStep) {
            throw ShallowException.at(source.file(), "holds " + windows.length + " sequences of " + o.seqLen()
                    + " tokens, fewer than one step's --batch x --accumulate = " + perStep);
        }
        CalibrationOptions perDocument = new CalibrationOptions(o.heldout() == null ? o.data() : o.heldout(), o.textField(), held.size(),
                context, false, true, false, 0);
        return new Texts(windows, CalibrationSet.build(held, tok, perDocument, context, source.file()).sequences());
    }

    /**
     * Refuses what the model cannot take: a target module its family lacks, a rank above a target matrix's smaller side,
     * sequences longer than the context.
     */
    private static void checkAgainstModel(HealOptions o, ModelConfig c) {
        for (LinearModule m : o.lora().modules(c.family(), LinearModule.of(c))) {
            int side = Math.min(m.in(), m.out());
            if (o.rank() > side) {
                throw new ShallowException("--rank " + o.rank() + " is larger than " + m.name() + " (" + m.out() + " x " + m.in()
                        + "), whose rank is at most " + side);
            }
        }
        if (o.seqLen() > c.maxPositionEmbeddings()) {
            throw new ShallowException("--seq-len " + o.seqLen() + " is longer than the model's context of " + c.maxPositionEmbeddings() + " tokens");
        }
        if (o.kd() != null && o.kd().topK() > c.vocabSize()) {
            throw new ShallowException("--kd-top-k " + o.kd().topK() + " is larger than the vocabulary of " + c.vocabSize() + " tokens");
        }
    }

    /** A new run's OUT: empty but for Shallow's own files (the lock, the marker). */
    private static TrainingCheckpoint.State fresh(Path out) {
        if (OutputPolicy.holdsOnlyShallowFiles(out)) return null;
        String hint = Files.exists(TrainingCheckpoint.stateFile(out)) ? "add --resume to continue its run" : "choose an empty --out";
        throw ShallowException.at(out, "already exists and is not empty; " + hint);
    }

    /** The checkpoint in OUT, if it was taken with these options on this model. */
    private static TrainingCheckpoint.State resumable(Path out, HealOptions o, String fingerprint, String teacherFingerprint) {
        TrainingCheckpoint.State state = TrainingCheckpoint.read(out);
        Path file = TrainingCheckpoint.stateFile(out);
        if (!state.fingerprint().equals(fingerprint)) throw ShallowException.at(file, "was taken on another model (fingerprint differs)");
        o.differenceFrom(state.options()).ifPresent(d -> {
            throw ShallowException.at(file, "the run was started with " + d + "; resume with the same options");
        });
        if (teacherFingerprint != null && !teacherFingerprint.equals(state.teacherFingerprint())) {
            throw ShallowException.at(file, "the run was distilled from another teacher (fingerprint differs); resume with the same --teacher");
        }
        return state;
    }

    /** The held-out documents a healing run with options {@code o} measures its loss on, tokenized for {@code model}. */
    public static int[][] heldout(Model model, HealOptions o, Path sharedData) {
        return texts(o, Tokenizer.load(model.dir()), model.config().maxPositionEmbeddings(), sharedData).heldout();
    }

    /**
     * The loss a healing run measures before it trains, on {@code heldout} ({@link #heldout}), of {@code model} run on
     * {@code layers} (a pruned model by layer skipping, no checkpoint written): to compare healing that does not train with
     * healing that does.
     */
    public static double heldoutLoss(Model model, int[] layers, HealOptions o, int[][] heldout) {
        TrainableModel m = new TrainableModel(Base.dense(model), layers, o.lora(), Precision.FLOAT32, false); // B = 0: the model itself
        return Finite.require(loss(m, heldout), "heal: the held-out loss");
    }

    /** Mean next-token loss over every predicted token of seqs, pooled: adapters on, no dropout, batches of about 4096 tokens. */
    static double loss(TrainableModel m, int[][] seqs) {
        double sum = 0;
        long count = 0;
        for (int i = 0; i < seqs.length; ) {
            List<int[]> batch = new ArrayList<>();
            int tokens = 0;
            while (i < seqs.length && (batch.isEmpty() || tokens + seqs[i].length <= HELDOUT_BATCH_TOKENS)) {
                tokens += seqs[i].length;
                batch.add(seqs[i++]);
            }
            int predicted = tokens - batch.size();
            sum += m.loss(Batch.nextToken(batch.toArray(int[][]::new))) * predicted; // each sequence predicts all but its first token
            count += predicted;
        }
        return sum / count;
    }

    private static void copyValues(List<Param> from, List<Param> to) {
        for (int i = 0; i < from.size(); i++) System.arraycopy(from.get(i).value(), 0, to.get(i).value(), 0, from.get(i).value().length);
    }

    private static long tokens(int[][] seqs) {
        long n = 0;
        for (int[] s : seqs) n += s.length;
        return n;
    }

    private static long trainable(TrainableModel m) {
        long n = 0;
        for (Param p : m.parameters()) n += p.value().length;
        return n;
    }

    private static ObjectNode summary(HealOptions o, String base, String fingerprint, Teacher teacher, Result r) {
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        s.put("shallow_version", Version.VERSION);
        s.put("model", base);
        s.put("model_fingerprint", fingerprint);
        s.put("method", o.method());
        if (teacher != null) s.set("teacher", teacher.toJson());
        s.set("options", o.toJson());
        s.put("steps", r.steps());
        s.put("tokens_trained", r.steps() * r.tokensPerStep());
        s.put("training_sequences", r.windows());
        s.put("trainable_parameters", r.trainable());
        s.put("seconds_this_run", r.seconds());
        s.put("steps_this_run", r.stepsThisRun());
        ObjectNode h = s.putObject("heldout");
        h.put("documents", r.heldoutDocs());
        h.put("tokens", r.heldoutTokens());
        h.put("loss_before", r.before());
        h.put("loss_after", r.after());
        if (o.nf4()) {
            h.put("loss_before_nf4_base", r.beforeNf4());
            h.put("loss_after_nf4_base", r.afterNf4());
        }
        var losses = s.putArray("train_losses");
        r.losses().forEach(losses::add);
        return s;
    }
}
