package dev.shallow.io;

import dev.shallow.Shared;
import dev.shallow.bench.ModelShape;
import dev.shallow.bench.RandomCheckpoint;
import dev.shallow.tensor.DType;
import dev.shallow.tensor.GgmlBlocks;
import dev.shallow.tensor.Q8_0Tensor;
import dev.shallow.tensor.Tensor;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** GGUF models with quantized matrices for tests: a tiny Llama converted as llama.cpp would, its 2-D tensors re-encoded. */
public final class QuantizedModels {
    static final Path STORIES_GGUF = Shared.root().resolve("real/stories260K-gguf/stories260K.gguf");

    private QuantizedModels() {
    }

    /** A tiny Llama with 256-wide rows (a whole Q4_K block) in {@code dir}, written as convert_hf_to_gguf.py would (BF16 matrices). */
    public static Path baseModel(Path dir) {
        ModelShape shape = new ModelShape("quantized-gguf-test", 2, 256, 512, 4, 2, 512, 256, 10000.0, 1e-5);
        Path hf = RandomCheckpoint.ensure(shape, 7, dir.resolve("hf"), Shared.model("stories260K").resolve("tokenizer.json"));
        return HfToGguf.convert(hf, "llama", STORIES_GGUF, dir.resolve("base.gguf"));
    }

    /**
     * {@code base} with every 2-D tensor re-encoded: as {@code type} (quantized from its values) when {@code decoded}
     * is false, else as F32 holding exactly the values that encoding decodes to. Metadata bytes copied unchanged.
     */
    public static Path reencode(Path base, DType type, boolean decoded, Path out) throws Exception {
        ByteArrayOutputStream infos = new ByteArrayOutputStream(), data = new ByteArrayOutputStream();
        long kvEnd;
        byte[] head;
        try (GgufFile f = GgufFile.open(base)) {
            long infoBytes = 0;
            for (GgufTensorInfo t : f.tensors().values()) {
                infoBytes += 8 + t.name().getBytes(StandardCharsets.UTF_8).length + 4 + 8L * t.ne().length + 4 + 8;
                float[] values = new float[Math.toIntExact(t.elements())];
                Tensor.of(t.type().dtype, f.tensorData(t.name()), new long[] {t.elements()}).copyTo(0, values, 0, values.length);
                byte[] bytes;
                GgmlType stored;
                if (t.ne().length == 2) {
                    bytes = encode(type, values);
                    stored = GgmlType.of(type);
                    if (decoded) {
                        float[] back = GgmlBlocks.dequantize(type, bytes);
                        bytes = f32(back);
                        stored = GgmlType.F32;
                    }
                } else {
                    bytes = f32(values);
                    stored = GgmlType.F32;
                }
                infos.writeBytes(GgufBuilder.string(t.name()));
                infos.writeBytes(GgufBuilder.le(4).putInt(t.ne().length).array());
                for (long d : t.ne()) infos.writeBytes(GgufBuilder.le(8).putLong(d).array());
                infos.writeBytes(GgufBuilder.le(4).putInt(stored.id).array());
                infos.writeBytes(GgufBuilder.le(8).putLong(data.size()).array());
                data.writeBytes(bytes);
                while (data.size() % GgufFile.DEFAULT_ALIGNMENT != 0) data.write(0);
            }
            head = f.header().toArray(ValueLayout.JAVA_BYTE);
            // the key-values end where the tensor infos begin: the first tensor's name string (u64 length, bytes)
            byte[] first = GgufBuilder.string(f.tensors().keySet().iterator().next());
            kvEnd = -1;
            for (int i = 24; i + first.length <= head.length && kvEnd < 0; i++) {
                if (java.util.Arrays.equals(head, i, i + first.length, first, 0, first.length)) kvEnd = i;
            }
            assertTrue(kvEnd > 0 && kvEnd + infoBytes <= head.length, "tensor infos found after the key-values");
        }
        ByteArrayOutputStream out2 = new ByteArrayOutputStream();
        out2.write(head, 0, (int) kvEnd);
        out2.writeBytes(infos.toByteArray());
        while (out2.size() % GgufFile.DEFAULT_ALIGNMENT != 0) out2.write(0);
        out2.writeBytes(data.toByteArray());
        return Files.write(out, out2.toByteArray());
    }

    static byte[] encode(DType type, float[] values) {
        if (type == DType.Q4_K) return GgmlBlocks.q4k(values);
        byte[] out = new byte[Math.toIntExact(type.byteSize(values.length))];
        Q8_0Tensor.quantize(values, 0, values.length, MemorySegment.ofArray(out), 0);
        return out;
    }

    static byte[] f32(float[] v) {
        java.nio.ByteBuffer b = GgufBuilder.le(4 * v.length);
        for (float x : v) b.putFloat(x);
        return b.array();
    }

}
