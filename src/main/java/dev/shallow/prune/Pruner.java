package dev.shallow.prune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.Version;
import dev.shallow.analysis.ModelIdentity;
import dev.shallow.convert.GgufRewriter;
import dev.shallow.convert.PruningMetadata;
import dev.shallow.io.AtomicFiles;
import dev.shallow.io.Checkpoint;
import dev.shallow.io.GgmlType;
import dev.shallow.io.OutputPolicy;
import dev.shallow.io.SafetensorsWriter;
import dev.shallow.io.StrictJson;
import dev.shallow.io.TensorInfo;
import dev.shallow.model.AbsentSubBlocks;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.family.Families;
import dev.shallow.model.family.TensorNames;
import dev.shallow.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes a Hugging Face checkpoint with layers removed and the rest renumbered
 * ({@code model.layers.K.*} becomes {@code model.layers.NEW.*}, NEW = position of K among the kept layers; the family's
 * prefix for a multimodal checkpoint's text stack, whose other tensors are copied as they are).
 * <ul>
 * <li>Tensors are copied byte for byte in their dtype.</li>
 * <li>A sharded source gives a sharded output: each tensor stays in (the renumbered copy of) the shard it
 *     came from, shards left empty are dropped, files are named {@code model-0000i-of-0000N.safetensors}
 *     with a {@code model.safetensors.index.json} (weight_map, metadata.total_size = tensor bytes).
 *     Each file keeps its source's {@code __metadata__}.</li>
 * <li>config.json as {@link PrunedConfig} describes.</li>
 * <li>Every other top-level regular file (tokenizer, generation config, ...) is copied, except other weight
 *     formats (which would still hold the removed layers) and sub-directories.</li>
 * <li>{@code shallow_pruning.json} records the source, removed and kept layers, strategy, plan, analysis
 *     options and Shallow's version, and embeds the source's own record when it was pruned before.</li>
 * </ul>
 * Everything is written into a temporary directory beside OUT and renamed into place, so an interrupted
 * run leaves no checkpoint behind; OUT is kept apart from the source and replaced only as {@link OutputPolicy} allows.
 */
public final class Pruner {
    public static final String RECORD = AbsentSubBlocks.RECORD_FILE;
    private static final Set<String> WEIGHT_EXTENSIONS = Set.of("safetensors", "bin", "pt", "pth", "ckpt", "gguf", "h5", "msgpack");

    private Pruner() {
    }

    public static PruneResult prune(Path modelDir, int[] removed, PruningRecord info, Path out, boolean overwrite) {
        int numLayers = ModelConfig.load(modelDir).numLayers();
        int[] sorted = sortedRemovable(removed, numLayers, info);
        return prune(modelDir, Removal.of(numLayers, sorted, new int[0], new int[0], AbsentSubBlocks.ofRecord(modelDir, numLayers)), info, out, overwrite);
    }

    /**
     * The same for a {@link Removal} (built with the source's own absent sub-blocks), whose removed sub-blocks are written as
     * zeroed output projections ({@link #zeroed}) and recorded.
     */
    public static PruneResult prune(Path modelDir, Removal removal, PruningRecord info, Path out, boolean overwrite) {
        return prune(modelDir, removal, info, null, out, overwrite);
    }

    /**
     * The same with the down projections {@code replacement} folded its maps into (null: none) written in place of the stored
     * ones (in their dtype), and its record in shallow_pruning.json's "replacement".
     */
    public static PruneResult prune(Path modelDir, Removal removal, PruningRecord info, LinearReplacement replacement, Path out, boolean overwrite) {
        ModelConfig config = ModelConfig.load(modelDir);
        int numLayers = config.numLayers();
        int[] kept = removal.kept();
        OutputPolicy.checkDirectory(out, overwrite, modelDir);
        JsonNode prunedConfig = PrunedConfig.of(StrictJson.readObject(modelDir.resolve("config.json")), config, kept);
        try (Checkpoint ck = Checkpoint.open(modelDir)) {
            TensorNames names = Families.of(config).names(ck::has);
            Map<String, String> sourceOf = renamed(ck, names.layerPrefix(), numLayers, kept);
            Set<String> zeroed = zeroed(names, removal.absentAfter(), sourceOf.keySet());
            Map<String, List<SafetensorsWriter.Entry>> shards = shards(ck, sourceOf);
            List<String> copied = new ArrayList<>(), notCopied = new ArrayList<>();
            sortOtherFiles(modelDir, ck, copied, notCopied);
            Path previous = modelDir.resolve(RECORD);
            ObjectNode record = record(SourceModel.identity(modelDir), removal, info, Files.exists(previous) ? StrictJson.readObject(previous) : null,
                    replacement);
            Map<String, Tensor> replaced = replacement == null ? Map.of() : replacement.tensors();
            AtomicFiles.writeDirectory(out, overwrite, tmp -> {
                for (Map.Entry<String, List<SafetensorsWriter.Entry>> shard : shards.entrySet()) {
                    List<SafetensorsWriter.Entry> entries = shard.getValue();
                    String first = sourceOf.get(entries.getFirst().name());
                    SafetensorsWriter.write(tmp.resolve(shard.getKey()), entries, ck.file(first).metadata(), (e, dst) -> {
                        String src = sourceOf.get(e.name());
                        if (zeroed.contains(e.name())) dst.fill((byte) 0); // +0 in every float dtype
                        else if (replaced.containsKey(src)) MemorySegment.copy(replaced.get(src).segment(), 0, dst, 0, dst.byteSize());
                        else MemorySegment.copy(ck.file(src).bytes(src), 0, dst, 0, dst.byteSize());
                    });
                }
                if (shards.size() > 1 || Checkpoint.sharded(modelDir)) {
                    AtomicFiles.writeJson(tmp.resolve(Checkpoint.INDEX), index(shards));
                }
                AtomicFiles.writeJson(tmp.resolve("config.json"), prunedConfig);
                for (String f : copied) Files.copy(modelDir.resolve(f), tmp.resolve(f));
                AtomicFiles.writeJson(tmp.resolve(RECORD), record);
            });
            long paramsAfter = 0, bytesAfter = 0;
            for (String name : sourceOf.values()) paramsAfter += ck.info(name).elements();
            for (String file : shards.keySet()) bytesAfter += fileSize(out.resolve(file));
            return new PruneResult(out, numLayers, kept.length, parameters(ck), paramsAfter, ck.bytesOnDisk(), bytesAfter,
                    files(out), notCopied);
        }
    }

    /** {@code removed} sorted, checked against the model's layers (one always stays) and against the plan that chose them. */
    public static int[] sortedRemovable(int[] removed, int numLayers, PruningRecord info) {
        int[] sorted = Layers.checkRemovable(removed, numLayers);
        if (info.plan() != null && !Arrays.equals(info.plan().removed(), sorted)) {
            throw new IllegalArgumentException("the plan removes " + Layers.format(info.plan().removed()) + ", not " + Layers.format(sorted));
        }
        return sorted;
    }

    /**
     * The output projections (weight and bias, of the written tensors {@code written}) of the sub-blocks absent from the pruned
     * layers: o_proj (Phi-2's dense) of a removed attention, down_proj (fc2) of a removed MLP. Zero, they make the sub-block add
     * nothing to the residual stream (Gemma's post-norm of zero is zero) in every tool that loads the checkpoint; a fused
     * qkv_proj / gate_up_proj stays as it is.
     */
    static Set<String> zeroed(TensorNames n, AbsentSubBlocks absent, Set<String> written) {
        Set<String> out = new HashSet<>();
        for (int l = 0; l < absent.attention().length; l++) {
            for (String suffix : List.of("weight", "bias")) {
                if (absent.attention()[l]) out.add(n.layer(l, n.o(), suffix));
                if (absent.mlp()[l]) out.add(n.layer(l, n.down(), suffix));
            }
        }
        out.retainAll(written);
        return out;
    }

    /** New tensor name -> source tensor name, for every tensor not in a removed layer (layer tensors: {@code prefix}N.*). */
    public static Map<String, String> renamed(Checkpoint ck, String prefix, int numLayers, int[] kept) {
        Pattern layerTensor = Pattern.compile(Pattern.quote(prefix) + "(\\d+)\\.(.+)");
        int[] newIndex = new int[numLayers];
        Arrays.fill(newIndex, -1);
        for (int i = 0; i < kept.length; i++) newIndex[kept[i]] = i;
        Map<String, String> sourceOf = new TreeMap<>();
        for (String name : ck.names()) {
            Matcher m = layerTensor.matcher(name);
            if (!m.matches()) {
                sourceOf.put(name, name);
                continue;
            }
            int layer = m.group(1).length() > 9 ? Integer.MAX_VALUE : Integer.parseInt(m.group(1));
            if (layer >= numLayers) {
                throw ShallowException.at(ck.dir(), "tensor '" + name + "' belongs to layer " + m.group(1) + " but config.json has " + numLayers + " layers");
            }
            if (newIndex[layer] >= 0) sourceOf.put(prefix + newIndex[layer] + "." + m.group(2), name);
        }
        return sourceOf;
    }

    /**
     * Output file name -> its tensors. Unsharded source: one model.safetensors. Sharded: one output file per
     * source shard that still holds a tensor, in the source shards' name order, renamed model-0000i-of-0000N.
     */
    private static Map<String, List<SafetensorsWriter.Entry>> shards(Checkpoint ck, Map<String, String> sourceOf) {
        Map<String, List<SafetensorsWriter.Entry>> bySource = new TreeMap<>();
        sourceOf.forEach((name, source) -> {
            TensorInfo t = ck.info(source);
            bySource.computeIfAbsent(ck.file(source).path().getFileName().toString(), k -> new ArrayList<>())
                    .add(new SafetensorsWriter.Entry(name, t.dtype(), t.shape()));
        });
        if (!Files.exists(ck.dir().resolve(Checkpoint.INDEX))) return Map.of(Checkpoint.SINGLE, bySource.values().iterator().next());
        Map<String, List<SafetensorsWriter.Entry>> out = new LinkedHashMap<>();
        int i = 0;
        for (List<SafetensorsWriter.Entry> entries : bySource.values()) {
            out.put(String.format("model-%05d-of-%05d.safetensors", ++i, bySource.size()), entries);
        }
        return out;
    }

    private static ObjectNode index(Map<String, List<SafetensorsWriter.Entry>> shards) {
        ObjectNode index = JsonNodeFactory.instance.objectNode();
        Map<String, String> weightMap = new TreeMap<>();
        long total = 0;
        for (Map.Entry<String, List<SafetensorsWriter.Entry>> shard : shards.entrySet()) {
            for (SafetensorsWriter.Entry e : shard.getValue()) {
                weightMap.put(e.name(), shard.getKey());
                total += e.byteSize();
            }
        }
        index.putObject("metadata").put("total_size", total);
        ObjectNode map = index.putObject("weight_map");
        weightMap.forEach(map::put);
        return index;
    }

    /**
     * Splits the source's top-level entries other than config.json, the weights being rewritten and a previous
     * pruning record into those copied and those left out (weights in other formats, directories).
     */
    public static void sortOtherFiles(Path modelDir, Checkpoint ck, List<String> copied, List<String> notCopied) {
        Set<String> rewritten = new HashSet<>(Set.of("config.json", RECORD, Checkpoint.INDEX));
        for (String t : ck.names()) rewritten.add(ck.file(t).path().getFileName().toString());
        try (Stream<Path> files = Files.list(modelDir)) {
            for (Path p : files.sorted().toList()) {
                String name = p.getFileName().toString();
                if (rewritten.contains(name) || OutputPolicy.isShallowFile(name)) continue;
                String ext = name.substring(name.lastIndexOf('.') + 1);
                if (Files.isRegularFile(p) && !WEIGHT_EXTENSIONS.contains(ext)) copied.add(name);
                else notCopied.add(name);
            }
        } catch (IOException e) {
            throw ShallowException.at(modelDir, "cannot list: " + e.getMessage(), e);
        }
    }

    /**
     * Prunes the GGUF model {@code gguf} into the GGUF file {@code out}: every kept tensor's bytes copied as they are (or typed as
     * {@code type}, when not null), layers renumbered, per-layer metadata cut, removed sub-blocks absent (a deci file)
     * ({@link GgufRewriter}), the record in its {@code shallow.pruning.*} keys.
     */
    public static GgufRewriter.Result pruneGguf(Path gguf, ModelIdentity source, Removal removal, PruningRecord info, GgmlType type, Path out) {
        return pruneGguf(gguf, source, removal, info, type, null, out);
    }

    /** The same with the tensors {@code replacement} folded its maps into (null: none) written instead of the stored ones, and recorded. */
    public static GgufRewriter.Result pruneGguf(Path gguf, ModelIdentity source, Removal removal, PruningRecord info, GgmlType type,
                                                LinearReplacement replacement, Path out) {
        ObjectNode record = record(source, removal, info, PruningMetadata.previous(gguf), replacement);
        Map<String, GgufRewriter.RowEdit> edits = new HashMap<>();
        if (replacement != null) {
            replacement.tensors().forEach((name, t) -> edits.put(name, (row, values) -> t.copyTo((long) row * values.length, values, 0, values.length)));
        }
        return GgufRewriter.write(gguf, out, type, removal.kept(), removal.absentAfter(), record, edits);
    }

    /**
     * The record of a pruning (shallow_pruning.json; a GGUF's shallow.pruning.record): source, layers removed and kept,
     * strategy, plan, Shallow's version, and {@code previous}, the source's own record when it was pruned before (or null).
     */
    public static ObjectNode record(ModelIdentity source, Removal removal, PruningRecord info, JsonNode previous) {
        return record(source, removal, info, previous, null);
    }

    /** The same with the linear replacement folded into the kept layers (null: none) in its "replacement". */
    public static ObjectNode record(ModelIdentity source, Removal removal, PruningRecord info, JsonNode previous, LinearReplacement replacement) {
        ObjectNode r = record(source, removal.layers(), removal.kept(), info, previous);
        if (removal.attention().length > 0) r.set(AbsentSubBlocks.ATTENTION_KEY, Plan.ints(removal.attention()));
        if (removal.mlp().length > 0) r.set(AbsentSubBlocks.MLP_KEY, Plan.ints(removal.mlp()));
        if (replacement != null) r.set("replacement", replacement.toJson(removal.kept()));
        return r;
    }

    /** The same for whole layers only. */
    public static ObjectNode record(ModelIdentity source, int[] removed, int[] kept, PruningRecord info, JsonNode previous) {
        ObjectNode r = JsonNodeFactory.instance.objectNode();
        r.put("shallow_version", Version.VERSION);
        r.put("conventions", Plan.CONVENTIONS);
        ObjectNode s = source.toJson();
        s.put("path", Path.of(source.path()).toAbsolutePath().normalize().toString()); // absolute: heal --teacher finds it from any directory
        r.set("source", s);
        r.put("num_layers_before", source.numLayers());
        r.put("num_layers_after", kept.length);
        r.put("n", removed.length);
        r.set("removed", Plan.ints(removed));
        r.set("kept", Plan.ints(kept));
        r.put("strategy", info.strategy());
        if (info.planFile() != null) r.put("plan_file", info.planFile().toString());
        if (info.plan() != null) r.set("plan", info.plan().toJson());
        if (previous != null) r.set("source_pruning", previous);
        return r;
    }

    /** Elements of all tensors (tied embeddings are stored once, so counted once). */
    private static long parameters(Checkpoint ck) {
        long n = 0;
        for (String name : ck.names()) n += ck.info(name).elements();
        return n;
    }

    private static long fileSize(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw ShallowException.at(p, "cannot stat: " + e.getMessage(), e);
        }
    }

    private static List<String> files(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(name -> !OutputPolicy.isShallowFile(name)).sorted().toList();
        } catch (IOException e) {
            throw ShallowException.at(dir, "cannot list: " + e.getMessage(), e);
        }
    }
}
