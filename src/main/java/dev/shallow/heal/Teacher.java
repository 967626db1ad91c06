package dev.shallow.heal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.analysis.ModelIdentity;
import dev.shallow.convert.PruningMetadata;
import dev.shallow.io.Checkpoint;
import dev.shallow.io.GgufWeights;
import dev.shallow.io.TensorInfo;
import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import dev.shallow.prune.Pruner;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.KVCache;
import dev.shallow.transformer.Transformer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The model a student is distilled from, frozen and forward-only on {@link Transformer} (float32): per micro-batch,
 * each sequence's top-k logits at every position and, where the student was cut from it, its residual streams after
 * the removed blocks. Memory: one sequence's logits [T, vocab] at a time, and the batch's top-k and cut streams.
 * <p>
 * The default teacher is the source recorded by the pruning of the student ({@code shallow_pruning.json}, a GGUF's
 * {@code shallow.pruning.record}): its path (absolute, or relative to the working directory), verified by the recorded
 * fingerprint. Any teacher must have the student's family, hidden size and vocabulary (every token's text).
 *
 * @param path        the teacher as resolved
 * @param fingerprint its {@link ModelIdentity#fingerprint}
 * @param kept        when the teacher is the recorded source: kept[p] = its layer at the student's layer position p; else null
 */
public record Teacher(Path path, String fingerprint, Model model, Transformer transformer, int[] kept) implements AutoCloseable {

    /**
     * The teacher of the student model {@code student}: {@code given}, or (null) the recorded source of its pruning; an
     * error naming the file or key when there is none, it is missing, or it does not fit the student.
     */
    public static Teacher of(Path student, ModelConfig studentConfig, Tokenizer studentTokens, Path given) {
        JsonNode record = PruningMetadata.previous(student);
        String where = GgufWeights.isGguf(student) ? student + " (metadata key " + PruningMetadata.RECORD + ")" : student.resolve(Pruner.RECORD).toString();
        JsonNode source = record == null ? null : record.path("source");
        String recorded = source == null ? null : source.path("fingerprint").asText(null);
        Path path;
        if (given != null) {
            path = given.toAbsolutePath().normalize();
            if (!Files.exists(path)) throw ShallowException.at(given, "--teacher not found");
        } else {
            if (record == null) {
                throw ShallowException.at(student, "records no pruning (no " + Pruner.RECORD + " or " + PruningMetadata.RECORD
                        + "), so it has no default teacher; name one with --teacher MODEL");
            }
            String p = source.path("path").asText("");
            if (p.isEmpty() || recorded == null) throw new ShallowException(where + ": source.path or source.fingerprint is missing; name the teacher with --teacher MODEL");
            path = Path.of(p).toAbsolutePath().normalize();
            if (!Files.exists(path)) {
                throw new ShallowException(where + ": source.path " + p + " (the unpruned model, the default teacher) not found; name it with --teacher MODEL");
            }
        }
        String fingerprint = ModelIdentity.fingerprint(path);
        boolean isSource = fingerprint.equals(recorded);
        if (given == null && !isSource) {
            throw new ShallowException(where + ": source.fingerprint " + recorded.substring(0, 12) + " differs from " + path
                    + "'s " + fingerprint.substring(0, 12) + ": that is not the model this one was pruned from; name the teacher with --teacher MODEL");
        }
        Model model = Model.load(path);
        try {
            requireFits(model, path, student, studentConfig, studentTokens);
            int[] kept = isSource ? kept(record, where, model.config().numLayers(), studentConfig.numLayers()) : null;
            return new Teacher(path, fingerprint, model, new Transformer(model), kept);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** Refuses a teacher of another family, hidden size or vocabulary than the student's. */
    private static void requireFits(Model teacher, Path path, Path student, ModelConfig c, Tokenizer ss) {
        ModelConfig t = teacher.config();
        if (!t.family().equals(c.family())) throw ShallowException.at(path, "--teacher is a " + t.family() + " model, the student " + student + " a " + c.family() + " one");
        if (t.hiddenSize() != c.hiddenSize()) {
            throw ShallowException.at(path, "--teacher has hidden size " + t.hiddenSize() + ", the student " + student + " " + c.hiddenSize());
        }
        Tokenizer ts = Tokenizer.load(path);
        if (t.vocabSize() != c.vocabSize() || ts.vocabSize() != ss.vocabSize()) {
            throw ShallowException.at(path, "--teacher has a vocabulary of " + t.vocabSize() + " tokens, the student " + student + " of " + c.vocabSize());
        }
        for (int id = 0; id < ts.vocabSize(); id++) {
            if (!ts.tokenText(id).equals(ss.tokenText(id))) {
                throw ShallowException.at(path, "--teacher's token " + id + " is '" + ts.tokenText(id) + "', the student's '" + ss.tokenText(id) + "': another vocabulary");
            }
        }
    }

    /** The pruning record's kept layers, checked against the student's and the teacher's layer counts. */
    private static int[] kept(JsonNode record, String where, int teacherLayers, int studentLayers) {
        JsonNode kept = record.path("kept");
        if (!kept.isArray() || kept.size() != studentLayers) {
            throw new ShallowException(where + ": kept lists " + kept.size() + " layers, the model has " + studentLayers);
        }
        int[] layers = new int[studentLayers];
        for (int p = 0; p < studentLayers; p++) {
            layers[p] = kept.get(p).asInt();
            if (layers[p] < 0 || layers[p] >= teacherLayers || (p > 0 && layers[p] <= layers[p - 1])) {
                throw new ShallowException(where + ": kept is not increasing within the source's " + teacherLayers + " layers");
            }
        }
        return layers;
    }

    /**
     * The cuts: by the student's layer position p after which layers were removed, the teacher's layer whose input stream
     * the student's output at p stands for (the teacher's layer count: its last output); empty when {@link #kept} is null.
     */
    public Map<Integer, Integer> cuts() {
        Map<Integer, Integer> next = new HashMap<>();
        for (int p = 0; kept != null && p < kept.length; p++) {
            int after = p + 1 < kept.length ? kept[p + 1] : model.config().numLayers();
            if (after != kept[p] + 1) next.put(p, after);
        }
        return next;
    }

    /**
     * Whether the student checkpoint is this teacher's kept layers byte for byte (both Hugging Face checkpoints; every tensor
     * of the student the teacher's of the pruned name, same dtype, shape and bytes), so the student can run on the teacher's
     * weights ({@code kept} of them) and only one model is read.
     */
    public boolean holdsTheWeightsOf(Model student) {
        if (kept == null || student.isGguf() || model.isGguf()) return false;
        Checkpoint s = student.checkpoint(), t = model.checkpoint();
        Map<String, String> sourceOf = Pruner.renamed(t, model.names().layerPrefix(), model.config().numLayers(), kept);
        if (!sourceOf.keySet().equals(s.names())) return false;
        for (Map.Entry<String, String> e : sourceOf.entrySet()) {
            TensorInfo a = s.info(e.getKey()), b = t.info(e.getValue());
            if (a.dtype() != b.dtype() || !Arrays.equals(a.shape(), b.shape())
                    || s.file(e.getKey()).bytes(e.getKey()).mismatch(t.file(e.getValue()).bytes(e.getValue())) != -1) {
                return false;
            }
        }
        return true;
    }

    /**
     * What the student minimises on {@code seqs} (its micro-batch, in order): the teacher's top-k logits of every token as
     * {@link Distillation}, and with {@code kd.hidden() > 0} the teacher's streams at the cuts as {@link CutLoss}.
     */
    Objective objective(int[][] seqs, KdOptions kd) {
        int vocab = model.config().vocabSize(), h = model.config().hiddenSize(), k = kd.topK(), count = 0;
        Map<Integer, Integer> next = cuts();
        if (kd.hidden() > 0 && next.isEmpty()) throw new IllegalStateException("the hidden-state term needs the recorded source as teacher");
        for (int[] s : seqs) count += s.length;
        int n = count;
        int[] ids = new int[n * k];
        float[] top = new float[n * k];
        Map<Integer, float[]> byLayer = new HashMap<>();
        if (kd.hidden() > 0) next.values().forEach(l -> byLayer.put(l, new float[n * h]));
        int row = 0;
        for (int[] seq : seqs) {
            int at = row;
            KVCache cache = transformer.newCache(seq.length);
            float[] logits = transformer.forward(new int[][]{seq}, new KVCache[]{cache}, true, (layer, x, tokens, hidden) -> {
                float[] stream = byLayer.get(layer);
                if (stream != null) System.arraycopy(x, 0, stream, at * h, tokens * h);
            });
            for (int t = 0; t < seq.length; t++, row++) TopK.select(logits, t * vocab, vocab, k, ids, top, row * k);
        }
        StreamLoss cut = StreamLoss.NONE;
        if (kd.hidden() > 0) {
            Map<Integer, float[]> targets = new HashMap<>();
            next.forEach((p, layer) -> targets.put(p, byLayer.get(layer)));
            cut = new CutLoss(kd.hidden(), targets);
        }
        return new Objective(new Distillation(kd, ids, top), cut);
    }

    /** The teacher's identity as heal.json records it. */
    ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("path", path.toString());
        o.put("fingerprint", fingerprint);
        o.put("architecture", model.config().architecture());
        o.put("num_layers", model.config().numLayers());
        return o;
    }

    @Override
    public void close() {
        model.close();
    }
}
