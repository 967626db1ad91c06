package dev.shallow.heal;

import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.model.ModelConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each family's linear modules by PEFT's names, and --targets resolved against them. */
class LinearModuleTest {

    static List<LinearModule> modules(String model) {
        return LinearModule.of(ModelConfig.load(Shared.model(model)));
    }

    static List<String> names(List<LinearModule> modules) {
        return modules.stream().map(LinearModule::name).toList();
    }

    @Test
    void modulesByFamily() {
        assertEquals(List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"), names(modules("tiny-gemma3-random")));
        List<LinearModule> phi3 = modules("tiny-phi3-random");
        assertEquals(List.of("qkv_proj", "o_proj", "gate_up_proj", "down_proj"), names(phi3));
        LinearModule qkv = phi3.getFirst(), gateUp = phi3.get(2);
        assertEquals("self_attn.qkv_proj", qkv.path());
        assertEquals(List.of(Projection.Q, Projection.K, Projection.V), qkv.parts());
        assertEquals(128 + 2 * 64, qkv.out(), "rows [q | k | v]");
        assertEquals(128, qkv.in());
        ModelConfig c = ModelConfig.load(Shared.model("tiny-phi3-random"));
        assertEquals(192, qkv.offset(Projection.V, c));
        assertEquals(256, gateUp.offset(Projection.UP, c), "rows [gate | up]");
        assertEquals(List.of("q_proj", "k_proj", "v_proj", "dense", "fc1", "fc2"), names(modules("tiny-phi-random")));
        assertEquals(List.of(Projection.UP), modules("tiny-phi-random").get(4).parts(), "fc1 is the ungated MLP's up");
    }

    @Test
    void targetsByNameShortNameOrAllLinear() {
        List<LinearModule> llama = modules("stories260K"), phi3 = modules("tiny-phi3-random"), phi = modules("tiny-phi-random");
        assertEquals(List.of("q_proj", "v_proj", "down_proj"), HealOptions.parseTargets("q, v,down,q"));
        assertEquals(List.of("q_proj", "v_proj", "down_proj"), names(lora("down,q,v").modules("llama", llama)), "in layer order");
        assertEquals(names(phi3), names(lora(LoraConfig.ALL_LINEAR).modules("phi3", phi3)));
        assertEquals(List.of("qkv_proj", "gate_up_proj"), names(lora("qkv_proj,gate_up_proj").modules("phi3", phi3)));
        assertEquals(List.of("dense", "fc2"), names(lora("dense,fc2").modules("phi", phi)));
        ShallowException e = assertThrows(ShallowException.class, () -> lora("q,v").modules("phi3", phi3));
        assertEquals("--targets: a phi3 layer has no module 'q_proj' (its modules: qkv_proj, o_proj, gate_up_proj, down_proj; or all-linear)",
                e.getMessage());
        assertTrue(assertThrows(ShallowException.class, () -> lora("o").modules("phi", phi)).getMessage().contains("q_proj, k_proj, v_proj, dense, fc1, fc2"));
        assertThrows(ShallowException.class, () -> HealOptions.parseTargets("q,,v"));
    }

    static LoraConfig lora(String targets) {
        return new LoraConfig(2, 4, 0, HealOptions.parseTargets(targets), 1);
    }
}
