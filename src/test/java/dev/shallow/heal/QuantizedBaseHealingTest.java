package dev.shallow.heal;

import dev.shallow.Shared;
import dev.shallow.io.GgmlType;
import dev.shallow.io.GgufFile;
import dev.shallow.io.GgufTensorInfo;
import dev.shallow.io.QuantizedModels;
import dev.shallow.model.Model;
import dev.shallow.tensor.Q8_0Tensor;
import dev.shallow.tensor.Tensor;
import dev.shallow.io.SafetensorsFile;
import dev.shallow.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.util.Map;
import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LoRA over a quantized GGUF base (the QLoRA idea with the file's own Q8_0 / Q4_K blocks frozen): the run reads every
 * base weight through its blocks and trains exactly as over the same weights decoded to F32 (same losses, same adapter
 * bytes), the adapter carries PEFT's names of the Hugging Face modules, and --merge writes the merged GGUF.
 */
class QuantizedBaseHealingTest {

    @Test
    void healsOverQuantizedBlocksAsOverTheirDecodedWeights(@TempDir Path tmp) throws Exception {
        Path base = QuantizedModels.baseModel(tmp), data = HealerTest.stories(tmp, 6);
        HealOptions o = HealerTest.options(data, 2, 48, 1, 3, false);
        for (DType type : new DType[] {DType.Q8_0, DType.Q4_K}) {
            Path q = QuantizedModels.reencode(base, type, false, tmp.resolve(type + ".gguf"));
            Path f = QuantizedModels.reencode(base, type, true, tmp.resolve(type + "-f32.gguf"));
            Path outQ = tmp.resolve("heal-" + type), outF = tmp.resolve("heal-" + type + "-f32");
            Healer.Result rq = Healer.run(q, o, Shared.root().resolve("data"), outQ, false, 0, 0, false, HealerTest.QUIET);
            Healer.Result rf = Healer.run(f, o, Shared.root().resolve("data"), outF, false, 0, 0, false, HealerTest.QUIET);
            assertEquals(3, rq.losses().size());
            for (double l : rq.losses()) assertTrue(Double.isFinite(l) && l > 0, type + " loss " + l);
            assertEquals(rf.losses(), rq.losses(), type + ": the blocks decode to exactly the F32 copy's weights");
            assertEquals(rf.before(), rq.before(), 0);
            assertEquals(rf.after(), rq.after(), 0);
            assertArrayEquals(Files.readAllBytes(outF.resolve(PeftAdapter.WEIGHTS)), Files.readAllBytes(outQ.resolve(PeftAdapter.WEIGHTS)), type + " adapter");
            try (SafetensorsFile a = SafetensorsFile.open(outQ.resolve(PeftAdapter.WEIGHTS))) {
                Set<String> names = a.tensors().keySet();
                for (String m : new String[] {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"}) {
                    for (int l = 0; l < 2; l++) {
                        for (String ab : new String[] {"lora_A", "lora_B"}) {
                            String name = "base_model.model.model.layers." + l + "." + m + "." + ab + ".weight";
                            assertTrue(names.contains(name), name + " in " + names);
                        }
                    }
                }
                assertEquals(2 * 7 * 2, names.size());
            }
        }
    }

    /**
     * --merge on a GGUF base (Q8_0, and Q4_K, which Shallow does not encode) writes OUT/merged.gguf: every adapted tensor's
     * blocks are exactly ggml's Q8_0 quantization of W + (alpha / r) B A, computed here from the base's decoded rows and the
     * written adapter (attn_q / attn_k rows in llama.cpp's interleaved order: GGUF row h*d + 2i + p is Hugging Face row
     * h*d + p*d/2 + i); every other tensor is the base's bytes; the record is in the metadata; Shallow loads it.
     */
    @Test
    void mergeOnAGgufWritesTheMergedGguf(@TempDir Path tmp) throws Exception {
        Path base = QuantizedModels.baseModel(tmp), data = HealerTest.stories(tmp, 6);
        HealOptions o = HealerTest.options(data, 2, 48, 1, 3, false);
        for (DType type : new DType[] {DType.Q8_0, DType.Q4_K}) {
            Path q = QuantizedModels.reencode(base, type, false, tmp.resolve(type + "-m.gguf")), out = tmp.resolve("merge-" + type);
            Healer.run(q, o, Shared.root().resolve("data"), out, false, 0, 0, true, HealerTest.QUIET);
            Path merged = out.resolve(Healer.MERGED_GGUF);
            com.fasterxml.jackson.databind.JsonNode config = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.resolve(PeftAdapter.CONFIG).toFile());
            double scaling = config.get("lora_alpha").asDouble() / config.get("r").asInt();
            int adapted = 0;
            try (GgufFile in = GgufFile.open(q); GgufFile m = GgufFile.open(merged); SafetensorsFile a = SafetensorsFile.open(out.resolve(PeftAdapter.WEIGHTS))) {
                assertTrue(m.metadata().string("shallow.healing.record").contains("lora_alpha"));
                int d = 256 / 4;
                for (GgufTensorInfo t : in.tensors().values()) {
                    String module = MODULES.get(t.name().replaceAll("^blk\\.\\d+\\.", "").replace(".weight", ""));
                    byte[] got = m.tensorData(t.name()).toArray(ValueLayout.JAVA_BYTE);
                    if (module == null) {
                        assertArrayEquals(in.tensorData(t.name()).toArray(ValueLayout.JAVA_BYTE), got, t.name() + " copied");
                        continue;
                    }
                    adapted++;
                    assertEquals(GgmlType.Q8_0, m.tensors().get(t.name()).type(), t.name());
                    String layer = t.name().split("\\.")[1], peft = "base_model.model.model.layers." + layer + "." + module;
                    float[] la = a.tensor(peft + ".lora_A.weight").toFloatArray(), lb = a.tensor(peft + ".lora_B.weight").toFloatArray();
                    int cols = (int) t.ne()[0], rows = (int) t.ne()[1], r = la.length / cols;
                    boolean qk = module.endsWith("q_proj") || module.endsWith("k_proj");
                    Tensor w = Tensor.of(type, in.tensorData(t.name()), new long[] {rows, cols});
                    byte[] want = new byte[Math.toIntExact(DType.Q8_0.byteSize((long) rows * cols))];
                    float[] row = new float[cols];
                    for (int g = 0; g < rows; g++) {
                        int h = qk ? g / d * d + (g % d % 2) * (d / 2) + g % d / 2 : g; // the Hugging Face row this GGUF row holds
                        w.copyTo((long) g * cols, row, 0, cols);
                        for (int i = 0; i < cols; i++) {
                            double ba = 0;
                            for (int k = 0; k < r; k++) ba += (double) lb[h * r + k] * la[k * cols + i];
                            row[i] = (float) (row[i] + scaling * ba);
                        }
                        Q8_0Tensor.quantize(row, 0, cols, MemorySegment.ofArray(want), DType.Q8_0.byteSize((long) g * cols));
                    }
                    assertArrayEquals(want, got, t.name() + " merged");
                }
            }
            assertEquals(2 * 7, adapted);
            try (Model model = Model.load(merged)) {
                assertEquals(2, model.config().numLayers());
            }
        }
    }

    /** llama.cpp's names of the adapted projections and PEFT's module paths for them. */
    private static final Map<String, String> MODULES = Map.of("attn_q", "self_attn.q_proj", "attn_k", "self_attn.k_proj", "attn_v", "self_attn.v_proj",
            "attn_output", "self_attn.o_proj", "ffn_gate", "mlp.gate_proj", "ffn_up", "mlp.up_proj", "ffn_down", "mlp.down_proj");
}
