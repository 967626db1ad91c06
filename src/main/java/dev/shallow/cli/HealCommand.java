package dev.shallow.cli;

import dev.shallow.data.Datasets;
import dev.shallow.heal.HealOptions;
import dev.shallow.heal.KdOptions;
import dev.shallow.heal.LoraConfig;
import dev.shallow.heal.Healer;
import dev.shallow.io.GgufWeights;
import dev.shallow.heal.PeftAdapter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "heal", mixinStandardHelpOptions = true,
        description = {"Heal a (pruned) model with LoRA fine-tuning on text, as Gromov et al. heal with QLoRA: adapters on the chosen "
                + "projections of every layer, the base frozen (kept in its dtype, or NF4 with --nf4), AdamW with linear warm-up then "
                + "cosine decay, gradient accumulation and clipping.",
                "Writes a PEFT adapter for MODEL (adapter_config.json, adapter_model.safetensors) and heal.json to OUT, and with --merge "
                + "the merged model to OUT/merged (OUT/merged.gguf for a GGUF model). Checkpoints go to OUT/checkpoint; --resume continues an interrupted run exactly.",
                "To heal a model without some layers, prune it first (shallow prune): the adapter's layer indices are MODEL's.",
                "With --teacher the adapters learn from the unpruned model by distillation: per predicted token T^2 KL(teacher || student) "
                + "at temperature T over the teacher's top-k logits, optionally mixed with next-token loss (--kd-alpha) and a hidden-state term at the cuts (--kd-hidden)."})
final class HealCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "Model directory (e.g. a checkpoint written by 'shallow prune').")
    Path modelDir;

    @Option(names = "--data", required = true, paramLabel = "TEXT_OR_JSONL", description = "Training text: a .jsonl file (field --text-field), a text "
            + "file (documents between <|endoftext|> lines), or a dataset of ../shared/data (stories, tinystories, wikitext2, ...).")
    String data;

    @Option(names = "--text-field", paramLabel = "FIELD", defaultValue = "text", description = "JSONL field holding the text (default: ${DEFAULT-VALUE}).")
    String textField;

    @Option(names = "--heldout", paramLabel = "FILE", description = "Held-out text for the loss before and after (default: the last "
            + "--heldout-samples documents of --data, which are then not trained on).")
    String heldout;

    @Option(names = "--heldout-samples", converter = Ranges.AtLeastOne.class, defaultValue = "40", paramLabel = "N", description = "Held-out documents, each BOS + the document "
            + "(up to the context) (default: ${DEFAULT-VALUE}).")
    int heldoutSamples;

    @Option(names = "--rank", converter = Ranges.AtLeastOne.class, paramLabel = "R", defaultValue = "8", description = "LoRA rank r (default: ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--alpha", converter = Ranges.Positive.class, paramLabel = "A", defaultValue = "16", description = "LoRA alpha; the adapter adds (alpha / r) B A x (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--dropout", paramLabel = "P", defaultValue = "0.05", description = "LoRA dropout on the adapters' input (default: ${DEFAULT-VALUE}).")
    double dropout;

    @Option(names = "--targets", paramLabel = "LIST", defaultValue = LoraConfig.ALL_LINEAR,
            description = "Modules to adapt, by PEFT's names for the family (q_proj,k_proj,... ; Phi-3 qkv_proj,o_proj,gate_up_proj,down_proj; Phi-2 q_proj,k_proj,v_proj,dense,fc1,fc2), "
                    + "the short names q,k,v,o,gate,up,down, or all-linear (default: ${DEFAULT-VALUE}).")
    String targets;

    @Option(names = "--tokens", converter = Ranges.AtLeastOneLong.class, required = true, paramLabel = "N", description = "Training tokens; steps = N / (batch x accumulate x seq-len).")
    long tokens;

    @Option(names = "--lr", converter = Ranges.Positive.class, paramLabel = "LR", defaultValue = "" + HealOptions.DEFAULT_LR,
            description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--warmup", converter = Ranges.AtLeastZero.class, defaultValue = "0", paramLabel = "STEPS", description = "Linear warm-up steps, then cosine decay to 0 (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--batch", converter = Ranges.AtLeastOne.class, defaultValue = "8", paramLabel = "B", description = "Sequences per micro-batch (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seq-len", converter = Ranges.AtLeastOne.class, defaultValue = "256", paramLabel = "T", description = "Tokens per packed sequence, BOS included (default: ${DEFAULT-VALUE}).")
    int seqLen;

    @Option(names = "--accumulate", converter = Ranges.AtLeastOne.class, defaultValue = "1", paramLabel = "K", description = "Micro-batches per optimizer step (default: ${DEFAULT-VALUE}).")
    int accumulate;

    @Option(names = "--nf4", description = "Quantize the frozen projections to NF4 with double quantization (QLoRA).")
    boolean nf4;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of the adapters' initialisation, dropout and data order (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--weight-decay", converter = Ranges.AtLeastZeroReal.class, paramLabel = "WD", defaultValue = "0", description = "AdamW's decoupled weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--max-grad-norm", converter = Ranges.Positive.class, paramLabel = "NORM", defaultValue = "1.0", description = "Clip the global gradient norm to this (default: ${DEFAULT-VALUE}).")
    double maxGradNorm;

    @Option(names = "--teacher", arity = "0..1", fallbackValue = "", paramLabel = "MODEL", description = "Distil from this model (the same "
            + "family, hidden size and vocabulary); without a value, from the model MODEL was pruned from (source.path of its shallow_pruning.json "
            + "or GGUF shallow.pruning.record, checked by its fingerprint).")
    String teacher;

    @Option(names = "--kd-top-k", converter = Ranges.AtLeastOne.class, paramLabel = "K", description = "Teacher logits kept per token; its "
            + "distribution is renormalised over them (default: " + KdOptions.DEFAULT_TOP_K + ").")
    Integer kdTopK;

    @Option(names = "--kd-temperature", converter = Ranges.Positive.class, paramLabel = "T", description = "Temperature of both distributions; "
            + "the KL term is scaled by T^2 (default: " + KdOptions.DEFAULT_TEMPERATURE + ").")
    Double kdTemperature;

    @Option(names = "--kd-alpha", paramLabel = "A", description = "Weight of the KL term; 1 - A weighs next-token cross-entropy (default: "
            + KdOptions.DEFAULT_ALPHA + ").")
    Double kdAlpha;

    @Option(names = "--kd-hidden", converter = Ranges.AtLeastZeroReal.class, paramLabel = "W", description = "Weight of the mean squared difference "
            + "between the student's residual stream after the layer before each cut and the teacher's after the removed block (default: "
            + KdOptions.DEFAULT_HIDDEN + ": none).")
    Double kdHidden;

    @Option(names = "--save-every", converter = Ranges.AtLeastZero.class, defaultValue = "100", paramLabel = "STEPS", description = "Checkpoint every N steps, and at the end (default: ${DEFAULT-VALUE}).")
    int saveEvery;

    @Option(names = "--resume", description = "Continue the run checkpointed in OUT (same MODEL and options; --save-every, --merge and --threads may change).")
    boolean resume;

    @Option(names = "--merge", description = "Also write the merged model (W + (alpha / r) B A, in the base dtype) to OUT/merged, or OUT/merged.gguf for a GGUF model.")
    boolean merge;

    @Option(names = "--out", required = true, paramLabel = "OUT", description = "Output directory (must not exist or be empty, unless --resume).")
    Path out;

    @Option(names = "--stop-after", converter = Ranges.AtLeastZero.class, hidden = true, paramLabel = "STEPS", description = "Stop after this many steps as if interrupted (for tests).")
    int stopAfter;

    @Mixin
    ThreadsOption threads;

    @Mixin
    PrecisionOption precision;

    @Override
    public Integer call() {
        if (saveEvery < 0) throw new IllegalArgumentException("--save-every must be >= 0, got " + saveEvery);
        HealOptions o = new HealOptions(Datasets.absoluteIfFile(data), textField, heldout == null ? null : Datasets.absoluteIfFile(heldout), heldoutSamples,
                rank, alpha, dropout, HealOptions.parseTargets(targets), tokens, lr, warmup, batch, seqLen, accumulate, nf4, seed,
                weightDecay, maxGradNorm).withKd(kd());
        HealProgress progress = new HealProgress(System.err, o.tokensPerStep(), o.kd() == null ? "loss" : "KD loss");
        Path teacherModel = teacher == null || teacher.isEmpty() ? null : Path.of(teacher);
        Healer.Result r = Healer.run(modelDir, teacherModel, o, Defaults.sharedData(), out, resume, saveEvery, stopAfter, merge, progress);
        progress.finish();
        System.out.printf("healing %s: LoRA r=%d alpha=%s dropout %s on %s, %,d trainable parameters%s%s%n", modelDir, rank, alpha, dropout,
                targets, r.trainable(), nf4 ? ", NF4 base" : "", o.kd() == null ? "" : String.format(", distilled from %s (top-%d, T %s, alpha %s, hidden %s)",
                        r.teacher(), o.kd().topK(), o.kd().temperature(), o.kd().alpha(), o.kd().hidden()));
        long done = (long) (r.losses().size()) * r.tokensPerStep();
        System.out.printf("trained %,d of %,d steps x %,d tokens = %,d tokens (%,d steps in %s this run, %,.0f tokens/s); %,d training sequences%n",
                r.losses().size(), r.steps(), r.tokensPerStep(), done, r.stepsThisRun(), ProgressLine.duration(r.seconds()),
                r.stepsThisRun() * r.tokensPerStep() / Math.max(r.seconds(), 1e-9), r.windows());
        if (r.stopped()) {
            System.out.printf("stopped after step %d (--stop-after); continue with --resume%n", r.losses().size());
            return 0;
        }
        List<Double> l = r.losses();
        int tail = Math.min(10, l.size());
        System.out.printf("training loss %.4f (step 1) -> %.4f (mean of the last %d steps)%n", l.getFirst(),
                l.subList(l.size() - tail, l.size()).stream().mapToDouble(Double::doubleValue).average().orElseThrow(), tail);
        System.out.printf("held-out loss (%d documents, %,d tokens): before %.4f, after %.4f nats/token%n", r.heldoutDocs(), r.heldoutTokens(),
                r.before(), r.after());
        if (nf4) System.out.printf("  on the NF4 base the adapter trained on: before %.4f, after %.4f%n", r.beforeNf4(), r.afterNf4());
        System.out.printf("wrote %s, %s, %s%s%n", out.resolve(PeftAdapter.CONFIG), out.resolve(PeftAdapter.WEIGHTS), out.resolve(Healer.SUMMARY),
                merge ? ", " + out.resolve(GgufWeights.isGguf(modelDir) ? Healer.MERGED_GGUF : Healer.MERGED) : "");
        return 0;
    }

    /** The distillation options (null without --teacher); a --kd-* option without --teacher is refused. */
    private KdOptions kd() {
        if (teacher == null) {
            if (kdTopK != null || kdTemperature != null || kdAlpha != null || kdHidden != null) {
                throw new IllegalArgumentException("--kd-top-k, --kd-temperature, --kd-alpha and --kd-hidden need --teacher");
            }
            return null;
        }
        KdOptions d = KdOptions.defaults();
        return new KdOptions(kdTopK == null ? d.topK() : kdTopK, kdTemperature == null ? d.temperature() : kdTemperature,
                kdAlpha == null ? d.alpha() : kdAlpha, kdHidden == null ? d.hidden() : kdHidden);
    }
}
