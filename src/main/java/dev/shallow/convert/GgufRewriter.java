package dev.shallow.convert;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.io.GgmlType;
import dev.shallow.io.GgufFile;
import dev.shallow.io.GgufMetadata;
import dev.shallow.io.GgufTensorInfo;
import dev.shallow.io.GgufWeights;
import dev.shallow.io.GgufWriter;
import dev.shallow.model.AbsentSubBlocks;
import dev.shallow.model.GgufKeys;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.family.Deci;
import dev.shallow.model.family.Families;
import dev.shallow.model.family.Family;
import dev.shallow.tensor.DType;
import dev.shallow.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes a GGUF file again: all its layers, or the kept ones of a pruning, every tensor's bytes copied as they are whatever
 * their ggml type (quantized blocks are bytes here), or every tensor re-typed when a type is asked for (decoded, then
 * encoded by {@link GgufTensorTypes}'s rule; a tensor already in its type is copied). A pruning renumbers
 * {@code blk.N.*}, sets {@code ARCH.block_count}, cuts every {@code ARCH.*} array of block_count elements to the kept layers,
 * records itself in {@code shallow.pruning.*} ({@link PruningMetadata}) and keeps every other key, the tokenizer among them,
 * as it is. Only architectures Shallow maps are pruned, and only when the pruned model is one llama.cpp's architecture can
 * express ({@link Family#writeGgufKeys}: smollm3's NoPE layers are fixed to every 4th, for one) with the same keys but
 * block_count (Gemma's sliding_window_pattern, for one, stays as it is). {@link #edited} writes every layer with some tensors'
 * rows changed (a merged LoRA adapter).
 */
public final class GgufRewriter {
    private static final Pattern LAYER = Pattern.compile("blk\\.(\\d+)\\.(.+)");

    private GgufRewriter() {
    }

    /** A change to the rows of one tensor: {@code values} holds row {@code row} (file order) decoded, and is changed in place. */
    @FunctionalInterface
    public interface RowEdit {
        void apply(int row, float[] values);
    }

    /** What was written. */
    public record Result(Path out, String architecture, int layersBefore, int layersAfter, int tensors, long tensorBytes) {
    }

    /**
     * Writes {@code in} to {@code out} keeping layers {@code kept} (ascending; null: all) with {@code pruning} recorded (null
     * when nothing is removed); tensors in {@code dtype} by llama.cpp's rule ({@link GgufTensorTypes}), or as they are
     * when null (a type Shallow does not decode is refused with a dtype).
     */
    public static Result write(Path in, Path out, GgmlType dtype, int[] kept, ObjectNode pruning) {
        return write(in, out, dtype, kept, null, pruning);
    }

    /**
     * The same with the sub-blocks {@code absent} from the written blocks (block i being layer {@code kept[i]}; null: those the
     * source lacks): when there are any, the file is llama.cpp's deci ({@link DeciLayout}), the removed sub-blocks' tensors left
     * out, stand-in MLPs added, every other tensor copied as above.
     */
    public static Result write(Path in, Path out, GgmlType dtype, int[] keptOrAll, AbsentSubBlocks absentOrSource, ObjectNode pruning) {
        return write(in, out, dtype, keptOrAll, absentOrSource, pruning, Map.of());
    }

    /** The same with the rows of each tensor named in {@code edits} (its name in {@code in}) edited as {@link #edited} edits them. */
    public static Result write(Path in, Path out, GgmlType dtype, int[] keptOrAll, AbsentSubBlocks absentOrSource, ObjectNode pruning,
                               Map<String, RowEdit> edits) {
        return write(in, out, dtype, keptOrAll, absentOrSource, pruning, edits, m -> { });
    }

    /**
     * Writes {@code in} to {@code out} with the rows of each tensor named in {@code edits} (its name in the file) decoded,
     * edited and encoded again in the tensor's type, or as Q8_0 when Shallow has no encoder for that type (Q4_0 and the
     * K-quants); every other tensor's bytes copied. {@code keys} adds metadata (a record of the edit).
     */
    public static Result edited(Path in, Path out, Map<String, RowEdit> edits, Consumer<GgufWriter.Metadata> keys) {
        return write(in, out, null, null, null, null, edits, keys);
    }

    private static Result write(Path in, Path out, GgmlType dtype, int[] keptOrAll, AbsentSubBlocks absentOrSource, ObjectNode pruning,
                                Map<String, RowEdit> edits, Consumer<GgufWriter.Metadata> keys) {
        try (GgufFile g = GgufFile.open(in)) {
            GgufMetadata meta = g.metadata();
            if (!meta.has(GgufKeys.ARCHITECTURE)) throw ShallowException.at(in, "has no " + GgufKeys.ARCHITECTURE + " (not a model GGUF)");
            String arch = meta.string(GgufKeys.ARCHITECTURE);
            String blockKey = arch + ".block_count";
            if (!meta.has(blockKey)) throw ShallowException.at(in, "metadata key '" + blockKey + "' is missing");
            int layers = meta.intValue(blockKey);
            int[] kept = keptOrAll != null ? keptOrAll : java.util.stream.IntStream.range(0, layers).toArray();
            AbsentSubBlocks absent = absentOrSource != null ? absentOrSource : AbsentSubBlocks.of(in).keep(kept);
            boolean renumbered = kept.length != layers;
            if (renumbered) checkPrunable(in, kept);
            ModelConfig pruned = absent.any() ? config(in).keep(kept) : null;
            DeciLayout deci = absent.any() ? DeciLayout.of(pruned.family(), absent, kept, in) : null;
            if (deci != null && !Families.of(pruned).ggufInterleavedQk()) { // its bytes are copied: q/k rows must already be in deci's order
                throw ShallowException.at(in, "a " + arch + " GGUF holds q/k rows in rotate-half order, llama.cpp's deci rotates interleaved pairs; "
                        + "write the deci file from the Hugging Face directory (prune DIR --format gguf)");
            }
            int[] newIndex = new int[layers];
            java.util.Arrays.fill(newIndex, -1);
            for (int i = 0; i < kept.length; i++) newIndex[kept[i]] = i;

            GgufWriter.Metadata m = new GgufWriter.Metadata();
            for (String key : meta.keys()) {
                if (pruning != null && key.startsWith(PruningMetadata.PREFIX)) continue; // replaced by this pruning's record
                if (renumbered && key.equals(blockKey)) m.u32(key, kept.length);
                else if (renumbered && key.startsWith(arch + ".") && meta.arrayLength(key) == layers) m.encoded(key, meta.encodedElements(key, kept));
                else m.encoded(key, meta.encoded(key));
            }
            List<GgufWriter.Tensor> tensors = new ArrayList<>();
            long bytes = 0;
            for (GgufTensorInfo t : g.tensors().values()) {
                String name = t.name();
                Matcher lm = LAYER.matcher(name);
                if (lm.matches()) {
                    int layer = lm.group(1).length() > 9 ? Integer.MAX_VALUE : Integer.parseInt(lm.group(1));
                    if (layer >= layers) throw ShallowException.at(in, "tensor '" + name + "' belongs to layer " + lm.group(1) + " but " + blockKey + " is " + layers);
                    if (newIndex[layer] < 0) continue;
                    name = "blk." + newIndex[layer] + "." + lm.group(2);
                }
                if (deci != null && !deci.keeps(name)) continue;
                tensors.add(tensor(in, g, t, name, dtype, edits.get(t.name())));
            }
            if (deci != null) {
                tensors.addAll(deci.standIns(pruned));
                m = deci.keys(m, arch, pruned);
            }
            for (GgufWriter.Tensor w : tensors) bytes += w.byteSize();
            if (dtype != null) m.u32("general.file_type", GgufTensorTypes.fileType(dtype));
            if (pruning != null) PruningMetadata.put(m, pruning);
            keys.accept(m);
            for (String name : edits.keySet()) if (!g.tensors().containsKey(name)) throw ShallowException.at(in, "has no tensor '" + name + "' to edit");
            GgufWriter.write(out, m, tensors);
            return new Result(out, deci != null ? Deci.ARCHITECTURE : arch, layers, kept.length, tensors.size(), bytes);
        }
    }

    /** The config of GGUF file {@code in}, as its family reads it. */
    private static ModelConfig config(Path in) {
        try (GgufWeights w = GgufWeights.open(in)) {
            GgufKeys keys = GgufKeys.of(w);
            return Families.of(keys).readGguf(keys);
        }
    }

    /**
     * A pruned model must be one llama.cpp runs as Shallow does: its architecture mapped and written by a family, and the
     * kept layers expressible in its keys (the family's writeGgufKeys refuses what is not).
     */
    public static void checkPrunable(Path in, int[] kept) {
        try (GgufWeights w = GgufWeights.open(in)) {
            GgufKeys keys = GgufKeys.of(w);
            Family f = Families.of(keys);
            ModelConfig source = f.readGguf(keys), pruned = source.keep(kept);
            GgufWriter.Metadata before = new GgufWriter.Metadata(), after = new GgufWriter.Metadata();
            try {
                f.writeGgufKeys(source, before);
                f.writeGgufKeys(pruned, after);
            } catch (IllegalArgumentException e) {
                throw ShallowException.at(in, "the pruned model cannot be written as llama.cpp's " + keys.architecture() + ": " + e.getMessage());
            }
            // the keys are copied with block_count alone changed: any other key the pruned model needs otherwise (Gemma's
            // sliding_window_pattern when the kept layers have another period) would give llama.cpp another model
            java.util.Set<String> all = new java.util.TreeSet<>(before.keys());
            all.addAll(after.keys());
            for (String key : all) {
                if (!key.endsWith(".block_count") && !Arrays.equals(before.encoded(key), after.encoded(key))) {
                    throw ShallowException.at(in, "the pruned model needs metadata key '" + key + "' " + (after.has(key) ? before.has(key) ? "changed" : "added" : "removed")
                            + ", which pruning a GGUF does not do (it copies the keys); remove other layers (whole periods), or prune the Hugging Face checkpoint");
                }
            }
        }
    }

    /**
     * Tensor {@code t} as {@code name}: its bytes as they are, or decoded (and edited by {@code edit}) and encoded in the type
     * the rule gives for {@code dtype}, or in its own type when edited (Q8_0 for a type Shallow does not encode).
     */
    private static GgufWriter.Tensor tensor(Path in, GgufFile g, GgufTensorInfo t, String name, GgmlType dtype, RowEdit edit) {
        long[] shape = t.shape();
        DType from = t.type().dtype;
        GgmlType type = t.type();
        if ((dtype != null || edit != null) && from == null) {
            throw ShallowException.at(in, "tensor '" + t.name() + "' is " + t.type() + ", which Shallow does not decode; it cannot be "
                    + (edit != null ? "merged into" : "re-typed with --dtype"));
        }
        if (dtype != null) type = GgufTensorTypes.of(name, shape, dtype);
        else if (edit != null && !from.encodes()) type = GgmlType.Q8_0;
        MemorySegment src = g.tensorData(t.name());
        if (type == t.type() && edit == null) return new GgufWriter.Tensor(name, shape, type, dst -> MemorySegment.copy(src, 0, dst, 0, dst.byteSize()));
        GgmlType to = type;
        return new GgufWriter.Tensor(name, shape, type, dst -> {
            Tensor s = Tensor.of(from, src, new long[] {t.elements()});
            int cols = (int) t.ne()[0];
            float[] row = new float[cols];
            for (long r = 0, rows = t.elements() / cols; r < rows; r++) {
                s.copyTo(r * cols, row, 0, cols);
                if (edit != null) edit.apply((int) r, row);
                to.dtype.encode(row, 0, cols, dst, r * to.dtype.byteSize(cols));
            }
        });
    }
}
