package dev.shallow.heal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.Version;
import dev.shallow.io.AtomicFiles;
import dev.shallow.io.SafetensorsFile;
import dev.shallow.io.SafetensorsWriter;
import dev.shallow.io.StrictJson;
import dev.shallow.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * OUT/checkpoint: everything a healing run needs to continue exactly where it stopped, written
 * as a whole directory atomically. {@code state.json}: the options, the model's fingerprint, steps
 * done, the data position (sequences consumed) and the loss of every step so far;
 * {@code adapter_model.safetensors}: the adapters (F32, PEFT names); {@code optimizer.safetensors}:
 * AdamW's moments (F64, {@code NAME.exp_avg} and {@code NAME.exp_avg_sq}). There is no other random
 * state: the data order and the dropout masks are functions of (seed, position) and (seed, step,
 * micro-batch).
 */
final class TrainingCheckpoint {
    static final String DIR = "checkpoint", STATE = "state.json", OPTIMIZER = "optimizer.safetensors";
    private static final ValueLayout.OfDouble F64_LE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** What state.json records; {@code teacherFingerprint} is null without distillation. */
    record State(HealOptions options, String fingerprint, String teacherFingerprint, int steps, long sequences, List<Double> losses) {
    }

    private TrainingCheckpoint() {
    }

    static Path stateFile(Path out) {
        return out.resolve(DIR).resolve(STATE);
    }

    static void save(Path out, State state, List<Param> params, AdamW adam) {
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put("shallow_version", Version.VERSION);
        json.put("model_fingerprint", state.fingerprint());
        if (state.teacherFingerprint() != null) json.put("teacher_fingerprint", state.teacherFingerprint());
        json.set("options", state.options().toJson());
        json.put("steps_done", state.steps());
        json.put("sequences_done", state.sequences());
        json.put("rng", "none kept: data order from (seed, epoch), dropout masks from (seed, step * accumulate + micro-batch)");
        var losses = json.putArray("losses");
        state.losses().forEach(losses::add);
        Map<String, double[]> moments = new HashMap<>();
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (Param p : params) {
            for (int i = 0; i < 2; i++) {
                moments.put(momentName(p, i), adam.moments(p)[i]);
                entries.add(new SafetensorsWriter.Entry(momentName(p, i), DType.F64, p.shape()));
            }
        }
        AtomicFiles.writeDirectory(out.resolve(DIR), true, tmp -> {
            PeftAdapter.writeWeights(tmp.resolve(PeftAdapter.WEIGHTS), params);
            SafetensorsWriter.write(tmp.resolve(OPTIMIZER), entries, null, (e, dst) -> {
                double[] m = moments.get(e.name());
                MemorySegment.copy(m, 0, dst, F64_LE, 0, m.length);
            });
            AtomicFiles.writeJson(tmp.resolve(STATE), json);
        });
    }

    /** PyTorch's names of AdamW's first (i = 0) and second moment. */
    private static String momentName(Param p, int i) {
        return p.name() + (i == 0 ? ".exp_avg" : ".exp_avg_sq");
    }

    /** The state of the checkpoint in OUT; an error naming the file if there is none. */
    static State read(Path out) {
        Path file = stateFile(out);
        if (!Files.exists(file)) throw ShallowException.at(file, "not found: there is no run to resume in " + out);
        JsonNode json = StrictJson.readObject(file);
        HealOptions options;
        try {
            options = HealOptions.fromJson(json.path("options"));
        } catch (RuntimeException e) {
            throw ShallowException.at(file, "options are not valid: " + e.getMessage(), e);
        }
        List<Double> losses = new ArrayList<>();
        json.path("losses").forEach(l -> losses.add(l.asDouble()));
        return new State(options, json.path("model_fingerprint").asText(), json.path("teacher_fingerprint").asText(null), json.path("steps_done").asInt(),
                json.path("sequences_done").asLong(), losses);
    }

    /** Loads the adapters and AdamW's moments of the checkpoint in OUT, and sets AdamW's step count to its steps. */
    static void restore(Path out, State state, List<Param> params, AdamW adam) {
        Path dir = out.resolve(DIR);
        PeftAdapter.readWeights(dir.resolve(PeftAdapter.WEIGHTS), params);
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(OPTIMIZER))) {
            for (Param p : params) {
                double[][] mv = adam.moments(p);
                for (int i = 0; i < 2; i++) {
                    String name = momentName(p, i);
                    MemorySegment bytes = f.bytes(name);
                    if (bytes.byteSize() != 8L * mv[i].length) throw ShallowException.at(f.path(), "tensor '" + name + "' has the wrong size");
                    MemorySegment.copy(bytes, F64_LE, 0, mv[i], 0, mv[i].length);
                }
            }
        }
        adam.resumeAt(state.steps());
    }
}
