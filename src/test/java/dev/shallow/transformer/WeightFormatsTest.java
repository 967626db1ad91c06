package dev.shallow.transformer;

import dev.shallow.RefLlama;
import dev.shallow.Shared;
import dev.shallow.convert.Llama2cImporter;
import dev.shallow.io.SafetensorsFile;
import dev.shallow.io.SafetensorsWriter;
import dev.shallow.model.Model;
import dev.shallow.tensor.DType;
import dev.shallow.tensor.F16Tensor;
import dev.shallow.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Checkpoints in other forms than the shared HF ones: imported from llama2.c, and stored as F16. */
class WeightFormatsTest {
    static final int[] IDS = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 400, 428, 395};

    /** The llama2.c original imported to HF layout gives the same logits as the golden reference (1e-4, as for the shared checkpoint). */
    @Test
    void importedLlama2cModelGivesReferenceLogits(@TempDir Path tmp) throws Exception {
        Path src = Shared.model("llama2c").resolve("stories260K");
        Path out = tmp.resolve("imported");
        Llama2cImporter.importModel(src.resolve("stories260K.bin"), src.resolve("tok512.bin"), out);
        var seqs = GoldenForwardTest.inputs("stories260K").path("sequences");
        try (Model model = Model.load(out);
             SafetensorsFile ref = SafetensorsFile.open(Shared.golden("stories260K").resolve("reference.safetensors"))) {
            Transformer tf = new Transformer(model);
            for (int s = 0; s < seqs.size(); s++) {
                int[] ids = GoldenForwardTest.ids(seqs.get(s));
                float[] got = tf.forward(ids, tf.newCache(ids.length), true);
                Tensor want = ref.tensor("logits." + s);
                for (int i = 0; i < got.length; i++) assertEquals(want.get(i), got[i], 1e-4, "sequence " + s);
            }
        }
    }

    /**
     * stories-16L rounded to F16 (written by Shallow) against the reference run on the same F16 file:
     * both widen F16 exactly, so only compute rounding differs (tolerance 1e-4 as for F32).
     */
    @Test
    void f16WeightsMatchReferenceOnSameFile(@TempDir Path tmp) throws Exception {
        Path dir = Shared.copyModel(Shared.model("stories-16L"), tmp.resolve("f16"));
        Path file = dir.resolve("model.safetensors");
        Map<String, Tensor> half = new TreeMap<>();
        try (SafetensorsFile f32 = SafetensorsFile.open(Shared.model("stories-16L").resolve("model.safetensors"))) {
            for (String name : f32.tensors().keySet()) {
                Tensor t = f32.tensor(name);
                MemorySegment seg = MemorySegment.ofArray(new short[Math.toIntExact(t.size())]);
                for (long i = 0; i < t.size(); i++) {
                    seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, Float.floatToFloat16(t.get(i)));
                }
                half.put(name, Tensor.of(DType.F16, seg, t.shape()));
            }
            Files.delete(file);
            SafetensorsWriter.write(file, half, null);
        }
        try (Model model = Model.load(dir)) {
            assertEquals(DType.F16, model.layer(0).wq().dtype());
            assertEquals(F16Tensor.class, model.lmHead().getClass());
            Transformer tf = new Transformer(model);
            float[] got = tf.forward(IDS, tf.newCache(IDS.length), true);
            float[] want = RefLlama.logits(dir, IDS, null);
            for (int i = 0; i < got.length; i++) assertEquals(want[i], got[i], 1e-4, "logit " + i);
        }
    }
}
