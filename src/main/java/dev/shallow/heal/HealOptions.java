package dev.shallow.heal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;

import java.io.Serializable;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Everything that decides what a healing run computes: the same options on the same model give the
 * same adapter, bit for bit, whether the run is interrupted and resumed or not. Each is named as
 * the {@code shallow heal} option that sets it (in JSON, snake case).
 *
 * @param data           training text: a file, or a dataset name of ../shared/data
 * @param textField      the JSONL field holding the text
 * @param heldout        held-out text, or null: the last {@code heldoutSamples} documents of {@code data}, not trained on
 * @param heldoutSamples held-out documents (the first of {@code heldout}, each BOS + the document up to the context)
 * @param tokens         training budget: steps = tokens / (batch x accumulate x seqLen), rounded down
 * @param lr             peak learning rate of the schedule (linear warm-up over {@code warmup} steps, cosine to 0)
 * @param batch          sequences per micro-batch
 * @param seqLen         tokens per sequence (BOS + seqLen - 1 tokens of the packed text)
 * @param accumulate     micro-batches per optimizer step
 * @param nf4            quantize the frozen projections to NF4 with double quantization (QLoRA)
 * @param seed           seeds the adapters' initialisation, the dropout masks and the data order
 * @param maxGradNorm    global gradient norm clipped to this
 * @param kd             distillation from a teacher ({@code --teacher}), or null: next-token LoRA healing
 */
public record HealOptions(String data, String textField, String heldout, int heldoutSamples, int rank, double alpha,
                          double dropout, List<String> targets, long tokens, double lr, int warmup, int batch, int seqLen,
                          int accumulate, boolean nf4, long seed, double weightDecay, double maxGradNorm, KdOptions kd) implements Serializable {
    /**
     * The peak learning rate when none is given ({@code shallow heal --lr}, {@code shallow sweep --heal-lr}): chosen by
     * {@code scripts/lr_study.sh} on stories260K and stories-16L, pruned, healed with rank 8 on all seven projections
     * (README, Healing: "Choosing the learning rate").
     */
    public static final double DEFAULT_LR = 3e-3;

    /** The short --targets names, each standing for {@code NAME_proj}. */
    private static final Set<String> SHORT = Set.of("q", "k", "v", "o", "gate", "up", "down");

    public HealOptions {
        targets = List.copyOf(targets);
        require(rank >= 1, "--rank must be at least 1, got " + rank);
        require(alpha > 0, "--alpha must be positive, got " + alpha);
        require(dropout >= 0 && dropout < 1, "--dropout must be in [0, 1), got " + dropout);
        require(!targets.isEmpty(), "--targets names no module");
        require(lr > 0, "--lr must be positive, got " + lr);
        require(batch >= 1 && accumulate >= 1 && heldoutSamples >= 1,
                "--batch, --accumulate and --heldout-samples must be at least 1, got " + batch + ", " + accumulate + ", " + heldoutSamples);
        require(seqLen >= 2, "--seq-len must be at least 2 tokens, got " + seqLen);
        require(weightDecay >= 0 && maxGradNorm > 0, "--weight-decay must be >= 0 and --max-grad-norm > 0");
        long perStep = (long) batch * accumulate * seqLen, steps = tokens / perStep; // the fields are not assigned yet
        require(steps >= 1, "--tokens " + tokens + " is less than one step of --batch x --accumulate x --seq-len = " + perStep + " tokens");
        require(steps <= Integer.MAX_VALUE, "--tokens " + tokens + " makes more than 2^31 steps");
        require(warmup >= 0 && warmup <= steps, "--warmup must be between 0 and the " + steps + " steps, got " + warmup);
    }

    /** Next-token LoRA healing (no teacher). */
    public HealOptions(String data, String textField, String heldout, int heldoutSamples, int rank, double alpha, double dropout, List<String> targets,
                       long tokens, double lr, int warmup, int batch, int seqLen, int accumulate, boolean nf4, long seed, double weightDecay,
                       double maxGradNorm) {
        this(data, textField, heldout, heldoutSamples, rank, alpha, dropout, targets, tokens, lr, warmup, batch, seqLen, accumulate, nf4, seed,
                weightDecay, maxGradNorm, null);
    }

    /** The same options distilling with {@code kd} (null: none). */
    public HealOptions withKd(KdOptions kd) {
        return new HealOptions(data, textField, heldout, heldoutSamples, rank, alpha, dropout, targets, tokens, lr, warmup, batch, seqLen, accumulate,
                nf4, seed, weightDecay, maxGradNorm, kd);
    }

    /** "kd" when distilling from a teacher, else "lora". */
    public String method() {
        return kd == null ? "lora" : "kd";
    }

    private static void require(boolean ok, String problem) {
        if (!ok) throw new ShallowException(problem);
    }

    /**
     * The --targets list as module names, checked against the model when a run starts: PEFT's names of the family's
     * modules (q_proj, qkv_proj, dense, fc1, ...), all-linear, or the short names q, k, v, o, gate, up, down for
     * NAME_proj; duplicates dropped.
     */
    public static List<String> parseTargets(String list) {
        Set<String> names = new LinkedHashSet<>();
        for (String name : list.split(",", -1)) {
            String n = name.strip();
            if (n.isEmpty()) throw new ShallowException("--targets: empty module name in '" + list + "'");
            names.add(SHORT.contains(n) ? n + "_proj" : n);
        }
        return List.copyOf(names);
    }

    public long tokensPerStep() {
        return (long) batch * accumulate * seqLen;
    }

    public int steps() {
        return Math.toIntExact(tokens / tokensPerStep());
    }

    public LoraConfig lora() {
        return new LoraConfig(rank, alpha, dropout, targets, seed);
    }

    public Schedule schedule() {
        return new Schedule(lr, warmup, steps(), 0);
    }

    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("data", data);
        o.put("text_field", textField);
        o.put("heldout", heldout);
        o.put("heldout_samples", heldoutSamples);
        o.put("rank", rank);
        o.put("alpha", alpha);
        o.put("dropout", dropout);
        var t = o.putArray("targets");
        targets.forEach(t::add);
        o.put("tokens", tokens);
        o.put("lr", lr);
        o.put("warmup", warmup);
        o.put("batch", batch);
        o.put("seq_len", seqLen);
        o.put("accumulate", accumulate);
        o.put("nf4", nf4);
        o.put("seed", seed);
        o.put("weight_decay", weightDecay);
        o.put("max_grad_norm", maxGradNorm);
        if (kd != null) {
            o.put("kd_top_k", kd.topK());
            o.put("kd_temperature", kd.temperature());
            o.put("kd_alpha", kd.alpha());
            o.put("kd_hidden", kd.hidden());
        }
        return o;
    }

    public static HealOptions fromJson(JsonNode o) {
        StringBuilder targets = new StringBuilder();
        for (JsonNode t : o.path("targets")) targets.append(targets.isEmpty() ? "" : ",").append(t.asText());
        return new HealOptions(o.path("data").asText(), o.path("text_field").asText(), o.path("heldout").isNull() ? null : o.path("heldout").asText(),
                o.path("heldout_samples").asInt(), o.path("rank").asInt(), o.path("alpha").asDouble(), o.path("dropout").asDouble(),
                parseTargets(targets.toString()), o.path("tokens").asLong(), o.path("lr").asDouble(), o.path("warmup").asInt(),
                o.path("batch").asInt(), o.path("seq_len").asInt(), o.path("accumulate").asInt(), o.path("nf4").asBoolean(),
                o.path("seed").asLong(), o.path("weight_decay").asDouble(), o.path("max_grad_norm").asDouble(),
                o.has("kd_top_k") ? new KdOptions(o.path("kd_top_k").asInt(), o.path("kd_temperature").asDouble(),
                        o.path("kd_alpha").asDouble(), o.path("kd_hidden").asDouble()) : null);
    }

    /** The first option that differs from {@code earlier}'s, as "--option EARLIER, not NOW", or empty if none does. */
    public Optional<String> differenceFrom(HealOptions earlier) {
        if (!method().equals(earlier.method())) {
            return Optional.of(earlier.kd == null ? "next-token LoRA (no --teacher), not distillation" : "distillation (--teacher), not next-token LoRA");
        }
        ObjectNode now = toJson(), then = earlier.toJson();
        for (Map.Entry<String, JsonNode> e : then.properties()) {
            if (!e.getValue().equals(now.get(e.getKey()))) {
                return Optional.of("--" + e.getKey().replace('_', '-') + " " + e.getValue() + ", not " + now.get(e.getKey()));
            }
        }
        return Optional.empty();
    }
}
