package dev.shallow.heal;

import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.io.QuantizedModels;
import dev.shallow.io.SafetensorsFile;
import dev.shallow.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LoRA over a quantized GGUF base (the QLoRA idea with the file's own Q8_0 / Q4_K blocks frozen): the run reads every
 * base weight through its blocks and trains exactly as over the same weights decoded to F32 (same losses, same adapter
 * bytes), the adapter carries PEFT's names of the Hugging Face modules, and --merge on a GGUF is refused in one line.
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

    @Test
    void mergeOnAGgufIsRefusedBeforeAnythingIsWritten(@TempDir Path tmp) throws Exception {
        Path q = QuantizedModels.reencode(QuantizedModels.baseModel(tmp), DType.Q8_0, false, tmp.resolve("q.gguf"));
        Path out = tmp.resolve("out");
        HealOptions o = HealerTest.options(HealerTest.stories(tmp, 6), 2, 48, 1, 3, false);
        ShallowException e = assertThrows(ShallowException.class,
                () -> Healer.run(q, o, Shared.root().resolve("data"), out, false, 0, 0, true, HealerTest.QUIET));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertTrue(e.getMessage().contains("heal --merge: GGUF output is not implemented yet"), e.getMessage());
        assertFalse(Files.exists(out), "nothing written");
    }
}
