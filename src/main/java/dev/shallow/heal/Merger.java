package dev.shallow.heal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.Version;
import dev.shallow.io.AtomicFiles;
import dev.shallow.convert.GgufRewriter;
import dev.shallow.io.Checkpoint;
import dev.shallow.io.GgufWeights;
import dev.shallow.io.SafetensorsWriter;
import dev.shallow.io.TensorInfo;
import dev.shallow.model.GgufKeys;
import dev.shallow.model.InterleavedRows;
import dev.shallow.model.Model;
import dev.shallow.model.family.Families;
import dev.shallow.model.family.TensorNames;
import dev.shallow.prune.Pruner;
import dev.shallow.tensor.DType;
import dev.shallow.tensor.Parallel;
import dev.shallow.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The merged checkpoint: the model with each adapted weight replaced by W + (alpha / r) B A
 * (PEFT's merge_and_unload), computed in double from W as stored and rounded to float32, then to the
 * weight's dtype (BF16 and F16 to nearest even). Every other tensor is copied byte for byte, the
 * safetensors files keep their names, tensors and metadata (so a sharded model stays sharded with
 * its index), config.json, the tokenizer and the other non-weight files are copied, and
 * {@code shallow_healing.json} records the adapter. An NF4-trained adapter is merged into the dense
 * weights it was quantized from, as QLoRA adapters usually are.
 */
final class Merger {
    static final String RECORD = "shallow_healing.json";
    /** The GGUF metadata key holding a merged GGUF's record as JSON text. */
    static final String GGUF_RECORD = "shallow.healing.record";

    private Merger() {
    }

    /** Writes the merged model into {@code out} (replaced if present); {@code adapterConfig} goes into the record. */
    static void write(Model model, List<Lora> adapters, ObjectNode adapterConfig, Path out) {
        Checkpoint ck = model.checkpoint();
        Map<String, Lora> byTensor = new HashMap<>();
        TensorNames names = model.names();
        for (Lora l : adapters) byTensor.put(names.layer(l.position(), l.target().path(), "weight"), l); // a fused module's whole tensor
        Map<String, List<SafetensorsWriter.Entry>> files = new TreeMap<>();
        for (String name : ck.names()) {
            TensorInfo t = ck.info(name);
            files.computeIfAbsent(ck.file(name).path().getFileName().toString(), k -> new ArrayList<>())
                    .add(new SafetensorsWriter.Entry(name, t.dtype(), t.shape()));
        }
        List<String> copied = new ArrayList<>(List.of("config.json", Pruner.RECORD)), notCopied = new ArrayList<>();
        if (Checkpoint.sharded(model.dir())) copied.add(Checkpoint.INDEX);
        Pruner.sortOtherFiles(model.dir(), ck, copied, notCopied);
        ObjectNode record = record(model, adapterConfig);
        AtomicFiles.writeDirectory(out, true, tmp -> {
            for (Map.Entry<String, List<SafetensorsWriter.Entry>> f : files.entrySet()) {
                String first = f.getValue().getFirst().name();
                SafetensorsWriter.write(tmp.resolve(f.getKey()), f.getValue(), ck.file(first).metadata(), (e, dst) -> {
                    Lora l = byTensor.get(e.name());
                    if (l == null) MemorySegment.copy(ck.file(e.name()).bytes(e.name()), 0, dst, 0, dst.byteSize());
                    else merge(ck.tensor(e.name()), l, dst);
                });
            }
            for (String name : copied) copyIfPresent(model.dir().resolve(name), tmp.resolve(name));
            AtomicFiles.writeJson(tmp.resolve(RECORD), record);
        });
    }

    /** What the merged model records of its healing (shallow_healing.json; a GGUF's {@link #GGUF_RECORD}). */
    private static ObjectNode record(Model model, ObjectNode adapterConfig) {
        ObjectNode record = JsonNodeFactory.instance.objectNode();
        record.put("shallow_version", Version.VERSION);
        record.put("base_model", model.dir().toAbsolutePath().toString());
        record.put("merged", "W + (lora_alpha / r) B A for every adapted weight");
        record.set("adapter_config", adapterConfig);
        return record;
    }

    /** dst = W + s B A in W's dtype, row by row ({@link #mergeRow}). */
    private static void merge(Tensor w, Lora l, MemorySegment dst) {
        int cols = w.cols();
        DType dtype = w.dtype();
        Parallel.forEach(w.rows(), o -> {
            float[] row = new float[cols];
            w.copyTo((long) o * cols, row, 0, cols);
            mergeRow(l, o, row);
            dtype.encode(row, 0, cols, dst, o * dtype.byteSize(cols));
        });
    }

    /** Row o of W (in {@code row}) merged in place: W'[o, i] = W[o, i] + s sum_k B[o, k] A[k, i], the sum in double, then float. */
    private static void mergeRow(Lora l, int o, float[] row) {
        int cols = row.length, r = l.a().rows();
        float[] a = l.a().value(), b = l.b().value();
        for (int i = 0; i < cols; i++) {
            double ba = 0;
            for (int k = 0; k < r; k++) ba += (double) b[o * r + k] * a[k * cols + i];
            row[i] = (float) (row[i] + l.scaling() * ba);
        }
    }

    /**
     * The merged model of a GGUF base as one GGUF file {@code out}: each adapted tensor's rows merged ({@link #mergeRow}; q/k
     * rows stored in llama.cpp's interleaved order are matched with the adapter's Hugging Face rows) and encoded in the
     * tensor's type (Q8_0 for Q4_0 and the K-quants, which Shallow does not encode), every other tensor copied byte for
     * byte, the adapter recorded in {@code shallow.healing.record}. Returns how many tensors changed type.
     */
    static int writeGguf(Model model, List<Lora> adapters, ObjectNode adapterConfig, Path out) {
        TensorNames names = model.names();
        int d = model.config().headDim();
        boolean interleaved;
        try (GgufWeights w = GgufWeights.open(model.dir())) {
            interleaved = Families.of(GgufKeys.of(w)).ggufInterleavedQk();
        }
        Map<String, GgufRewriter.RowEdit> edits = new HashMap<>();
        int retyped = 0;
        for (Lora l : adapters) {
            Projection p = l.target().parts().getFirst(); // one: a GGUF base with fused modules is refused before training
            String name = names.layer(l.position(), p.part(names), "weight");
            boolean qk = interleaved && (p == Projection.Q || p == Projection.K);
            edits.put(name, (row, values) -> mergeRow(l, qk ? InterleavedRows.hfRow(row, d) : row, values));
            if (!model.weights().tensor(name).dtype().encodes()) retyped++;
        }
        ObjectNode record = record(model, adapterConfig);
        GgufRewriter.edited(model.dir(), out, edits, m -> m.string(GGUF_RECORD, record.toString()));
        return retyped;
    }

    private static void copyIfPresent(Path from, Path to) throws IOException {
        if (Files.exists(from)) Files.copy(from, to);
    }
}
