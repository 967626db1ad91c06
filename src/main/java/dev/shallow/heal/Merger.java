package dev.shallow.heal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.Version;
import dev.shallow.io.AtomicFiles;
import dev.shallow.io.Checkpoint;
import dev.shallow.io.SafetensorsWriter;
import dev.shallow.io.TensorInfo;
import dev.shallow.model.Model;
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
        ObjectNode record = JsonNodeFactory.instance.objectNode();
        record.put("shallow_version", Version.VERSION);
        record.put("base_model", model.dir().toAbsolutePath().toString());
        record.put("merged", "W + (lora_alpha / r) B A for every adapted weight");
        record.set("adapter_config", adapterConfig);
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

    /** dst = W + s B A in W's dtype, row by row: W'[o, i] = W[o, i] + s sum_k B[o, k] A[k, i]. */
    private static void merge(Tensor w, Lora l, MemorySegment dst) {
        int cols = w.cols(), r = l.a().rows();
        float[] a = l.a().value(), b = l.b().value();
        DType dtype = w.dtype();
        Parallel.forEach(w.rows(), o -> {
            float[] row = new float[cols];
            w.copyTo((long) o * cols, row, 0, cols);
            for (int i = 0; i < cols; i++) {
                double ba = 0;
                for (int k = 0; k < r; k++) ba += (double) b[o * r + k] * a[k * cols + i];
                row[i] = (float) (row[i] + l.scaling() * ba);
            }
            dtype.encode(row, 0, cols, dst, o * dtype.byteSize(cols));
        });
    }

    private static void copyIfPresent(Path from, Path to) throws IOException {
        if (Files.exists(from)) Files.copy(from, to);
    }
}
