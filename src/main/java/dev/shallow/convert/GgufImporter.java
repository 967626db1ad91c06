package dev.shallow.convert;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.io.AtomicFiles;
import dev.shallow.io.GgmlType;
import dev.shallow.io.GgufFile;
import dev.shallow.io.GgufTensorInfo;
import dev.shallow.io.GgufWeights;
import dev.shallow.io.SafetensorsWriter;
import dev.shallow.model.ConfigJson;
import dev.shallow.model.GgufKeys;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.family.Families;
import dev.shallow.model.family.Family;
import dev.shallow.model.family.GgufTensor;
import dev.shallow.tensor.DType;
import dev.shallow.tensor.Tensor;
import dev.shallow.tokenizer.TokenizerJsonExport;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a GGUF file of a family Shallow writes as a Hugging Face directory: config.json ({@link Family#hfConfig}, read back
 * and required to give the GGUF's config), model.safetensors with each GGUF tensor under its Hugging Face name, q/k rows
 * put back into rotate-half order, value maps undone (Gemma's norms) and stacked tensors split into their sources by row
 * count (Phi-2's fused attn_qkv: the family's {@link Family#ggufFileTensors} read backwards), float weights
 * as stored (F32, F16, BF16) or in the type asked for, and tokenizer.json + tokenizer_config.json from the GGUF vocabulary
 * ({@link TokenizerJsonExport}). Quantized tensors are dequantized ({@link Tensor#copyTo}, as ggml's dequantize_row_*) to F32
 * or the type asked for.
 */
public final class GgufImporter {
    private GgufImporter() {
    }

    /** What was written. */
    public record Result(Path out, String modelType, int layers, int tensors) {
    }

    public static Result write(Path in, Path out, GgmlType dtype, boolean force) {
        ModelConfig c;
        Family f;
        try (GgufWeights w = GgufWeights.open(in)) {
            GgufKeys keys = GgufKeys.of(w);
            f = Families.of(keys);
            c = f.fromGguf(f.readGguf(keys));
        }
        DType target = dtype == null ? null : dtype.dtype;
        if (target != null && target.isQuantized()) throw new ShallowException("--dtype " + dtype.name().toLowerCase(java.util.Locale.ROOT) + " is not a safetensors dtype (a Hugging Face directory takes f32, f16 or bf16)");
        if (target == null && quantized(in)) target = DType.F32; // dequantized to F32 unless asked otherwise
        ModelConfig.Builder b = new ModelConfig.Builder(c);
        if (target != null) b.torchDtype = switch (target) {
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> "float32";
        };
        c = b.build();
        ObjectNode config;
        try {
            config = f.hfConfig(c);
        } catch (IllegalArgumentException e) {
            throw ShallowException.at(in, e.getMessage());
        }
        ModelConfig back = Families.read(new ConfigJson(out.resolve("config.json"), config));
        ModelConfig.Builder same = new ModelConfig.Builder(back);
        same.architecture = c.architecture();
        if (!same.build().equals(c)) throw ShallowException.at(in, "its config cannot be written as a " + f.name() + " config.json that reads back the same");
        TokenizerJsonExport.Files tokenizer = TokenizerJsonExport.of(in);
        try (GgufFile g = GgufFile.open(in)) {
            List<GgufTensor> plans;
            try {
                plans = f.ggufFileTensors(c, g.tensors()::containsKey);
            } catch (IllegalArgumentException e) {
                throw ShallowException.at(in, e.getMessage());
            }
            Map<String, Part> byHf = new HashMap<>();
            List<SafetensorsWriter.Entry> entries = new ArrayList<>();
            Set<String> used = new HashSet<>();
            for (GgufTensor p : plans) {
                GgufTensorInfo t = g.tensors().get(p.name());
                if (t == null) continue; // a bias or head the file does not have
                DType stored = t.type().dtype;
                if (stored == null) throw ShallowException.at(in, "tensor '" + t.name() + "' is " + t.type() + ", which Shallow does not decode");
                long[] shape = t.shape();
                DType type = target != null && (shape.length == 2 || stored.isQuantized()) ? target : stored;
                if (p.sources().size() > 1 && p.rows() == null) throw ShallowException.at(in, "tensor '" + p.name() + "' is stacked from " + p.sources() + " of unknown row counts");
                long offset = 0;
                for (int j = 0; j < p.sources().size(); j++) {
                    long rows = p.sources().size() == 1 ? shape[0] : p.rows()[j];
                    long[] part = shape.clone();
                    part[0] = rows;
                    entries.add(new SafetensorsWriter.Entry(p.sources().get(j), type, part));
                    byHf.put(p.sources().get(j), new Part(p, offset));
                    offset += rows;
                }
                if (offset != shape[0]) throw ShallowException.at(in, "tensor '" + p.name() + "' has " + shape[0] + " rows, not the " + offset + " of " + p.sources());
                used.add(p.name());
            }
            for (String name : g.tensors().keySet()) {
                if (!used.contains(name)) throw ShallowException.at(in, "tensor '" + name + "' has no place in the " + f.name() + " Hugging Face layout; not converted (it would be lost)");
            }
            AtomicFiles.writeDirectory(out, force, tmp -> {
                SafetensorsWriter.write(tmp.resolve("model.safetensors"), entries, null, (e, dst) -> fill(g, byHf.get(e.name()), e, dst));
                AtomicFiles.writeJson(tmp.resolve("config.json"), config);
                AtomicFiles.writeJson(tmp.resolve("tokenizer.json"), tokenizer.tokenizer());
                AtomicFiles.writeJson(tmp.resolve("tokenizer_config.json"), tokenizer.config());
            });
            return new Result(out, f.modelTypes().getFirst(), c.numLayers(), entries.size());
        }
    }

    /** Whether some tensor of GGUF {@code in} is in a block format. */
    private static boolean quantized(Path in) {
        try (GgufFile g = GgufFile.open(in)) {
            return g.tensors().values().stream().anyMatch(t -> t.type().dtype == null || t.type().dtype.isQuantized());
        }
    }

    /** A Hugging Face tensor's place in a GGUF tensor: its plan, and the first of its rows among the plan's stacked sources. */
    private record Part(GgufTensor plan, long offset) {
    }

    /**
     * Hugging Face row r is GGUF row {@code p.place(offset + r)} (a stacked tensor's source starts at its offset), its values
     * mapped back; bytes copied when nothing changes.
     */
    private static void fill(GgufFile g, Part part, SafetensorsWriter.Entry e, MemorySegment dst) {
        GgufTensor p = part.plan();
        GgufTensorInfo t = g.tensors().get(p.name());
        DType stored = t.type().dtype;
        int cols = e.shape().length == 2 ? (int) e.shape()[1] : 1;
        long rows = e.shape()[0], inRow = stored.byteSize(cols), outRow = e.dtype().byteSize(cols);
        MemorySegment src = g.tensorData(p.name());
        Tensor s = Tensor.of(stored, src, new long[] {t.elements()});
        float[] buf = new float[cols];
        for (long r = 0; r < rows; r++) {
            long from = p.place((int) (part.offset() + r));
            if (stored == e.dtype() && p.values() == null) {
                MemorySegment.copy(src, from * inRow, dst, r * outRow, inRow);
            } else {
                s.copyTo(from * cols, buf, 0, cols);
                if (p.values() != null) for (int j = 0; j < cols; j++) buf[j] = p.values().toHf().apply(buf[j]);
                e.dtype().encode(buf, 0, cols, dst, r * outRow);
            }
        }
    }
}
