package dev.shallow.io;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.tensor.BF16Tensor;
import dev.shallow.tensor.DType;
import dev.shallow.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which files a checkpoint is, inputs that are not regular files, and weights that are not finite. */
class CheckpointTest {
    @TempDir
    Path tmp;

    private static void single(Path file, String name, float... values) {
        SafetensorsWriter.write(file, Map.of(name, Tensor.ofFloats(values, new long[]{values.length})), null);
    }

    @Test
    void aSingleFileBesideAnIndexIsWhatLoadsAsInHuggingFace() {
        single(tmp.resolve(Checkpoint.SINGLE), "w", 1, 2);
        single(tmp.resolve("model-00001-of-00001.safetensors"), "w", 3, 4);
        ObjectNode index = JsonNodeFactory.instance.objectNode();
        index.putObject("weight_map").put("w", "model-00001-of-00001.safetensors");
        AtomicFiles.writeJson(tmp.resolve(Checkpoint.INDEX), index);
        try (Checkpoint ck = Checkpoint.open(tmp)) {
            assertEquals(tmp.resolve(Checkpoint.SINGLE), ck.file("w").path());
            assertEquals(1f, ck.tensor("w").get(0));
        }
        assertFalse(Checkpoint.sharded(tmp));
    }

    @Test
    void nonFiniteWeightsAreFoundWithTheirTensorAndElement() {
        for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            float[] v = new float[37];
            for (int i = 0; i < v.length; i++) v[i] = i - 18.5f;
            v[29] = bad;
            single(tmp.resolve(Checkpoint.SINGLE), "model.layers.3.mlp.up_proj.weight", v);
            try (Checkpoint ck = Checkpoint.open(tmp)) {
                ShallowException e = assertThrows(ShallowException.class, ck::requireFinite);
                assertTrue(e.getMessage().contains("'model.layers.3.mlp.up_proj.weight'") && e.getMessage().contains("element 29"), e.getMessage());
            }
        }
        single(tmp.resolve(Checkpoint.SINGLE), "w", Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, 0, -0f);
        try (Checkpoint ck = Checkpoint.open(tmp)) {
            ck.requireFinite();
        }
    }

    @Test
    void halfPrecisionNonFiniteValuesToo() {
        short[] bf16 = new short[9], f16 = new short[9];
        for (int i = 0; i < 9; i++) {
            bf16[i] = BF16Tensor.fromFloat(65000f * i);
            f16[i] = Float.floatToFloat16(6000f * i);
        }
        assertEquals(-1, NonFinite.first(DType.BF16, MemorySegment.ofArray(bf16)));
        assertEquals(-1, NonFinite.first(DType.F16, MemorySegment.ofArray(f16)));
        bf16[8] = BF16Tensor.fromFloat(Float.NaN);
        f16[5] = Float.floatToFloat16(Float.NEGATIVE_INFINITY);
        assertEquals(8, NonFinite.first(DType.BF16, MemorySegment.ofArray(bf16)));
        assertEquals(5, NonFinite.first(DType.F16, MemorySegment.ofArray(f16)));
    }

    @Test
    void aFifoInPlaceOfTheWeightsIsRefusedNotWaitedOn() throws Exception {
        assertEquals(0, new ProcessBuilder("mkfifo", tmp.resolve(Checkpoint.SINGLE).toString()).start().waitFor());
        ShallowException e = CompletableFuture.supplyAsync(() -> assertThrows(ShallowException.class, () -> Checkpoint.open(tmp)))
                .get(20, TimeUnit.SECONDS);
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }
}
