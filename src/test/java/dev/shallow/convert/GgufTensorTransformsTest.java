package dev.shallow.convert;

import dev.shallow.Shared;
import dev.shallow.io.Checkpoint;
import dev.shallow.io.GgmlType;
import dev.shallow.io.GgufFile;
import dev.shallow.io.GgufWriter;
import dev.shallow.model.family.GgufTensor;
import dev.shallow.tensor.DType;
import dev.shallow.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The transforms a family's write hook can ask for ({@link GgufTensor}), as the Gemma and Phi-3 mappings will: sources
 * stacked (Phi-3's fused qkv), rows placed (llama's q/k), values mapped (Gemma's norms stored as 1 + w), a forced type.
 */
class GgufTensorTransformsTest {
    @TempDir
    Path tmp;

    @Test
    void stackedPlacedMappedAndTyped() {
        Path model = Shared.model("stories260K");
        String q = "model.layers.0.self_attn.q_proj.weight", k = "model.layers.0.self_attn.k_proj.weight", norm = "model.layers.0.input_layernorm.weight";
        GgufTensor qk = GgufTensor.stacked("blk.0.attn_qk.weight", q, k).placed(r -> r ^ 1); // swap each pair of rows
        GgufTensor plusOne = GgufTensor.renamed("blk.0.attn_norm.weight", norm).mapped(x -> x + 1, x -> x - 1);
        GgufTensor half = GgufTensor.renamed("blk.0.attn_q.weight", q).typed(GgmlType.F16);
        Path out = tmp.resolve("t.gguf");
        try (Checkpoint ck = Checkpoint.open(model)) {
            GgufWriter.write(out, new GgufWriter.Metadata(), List.of(GgufExporter.tensor(ck, qk, null, Map.of()),
                    GgufExporter.tensor(ck, plusOne, null, Map.of()),
                    GgufExporter.tensor(ck, half, null, Map.of())));
            Tensor tq = ck.tensor(q), tk = ck.tensor(k), tn = ck.tensor(norm);
            try (GgufFile f = GgufFile.open(out)) {
                assertArrayEquals(new long[] {64, 64 + 32}, f.tensors().get("blk.0.attn_qk.weight").ne());
                Tensor stacked = Tensor.of(DType.F32, f.tensorData("blk.0.attn_qk.weight"), new long[] {96, 64});
                for (int r = 0; r < 96; r++) {
                    Tensor src = r < 64 ? tq : tk;
                    int sr = r < 64 ? r : r - 64;
                    for (int c = 0; c < 64; c++) assertEquals(src.get((long) sr * 64 + c), stacked.get((long) (r ^ 1) * 64 + c));
                }
                Tensor n = Tensor.of(DType.F32, f.tensorData("blk.0.attn_norm.weight"), new long[] {64});
                for (int i = 0; i < 64; i++) assertEquals(tn.get(i) + 1, n.get(i));
                assertEquals(GgmlType.F16, f.tensors().get("blk.0.attn_q.weight").type());
                Tensor h = Tensor.of(DType.F16, f.tensorData("blk.0.attn_q.weight"), new long[] {64, 64});
                for (int i = 0; i < 64 * 64; i++) assertEquals(Float.float16ToFloat(Float.floatToFloat16(tq.get(i))), h.get(i));
            }
        }
    }
}
