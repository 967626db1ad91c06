package dev.shallow.heal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.io.AtomicFiles;
import dev.shallow.io.SafetensorsFile;
import dev.shallow.io.SafetensorsWriter;
import dev.shallow.tensor.Tensor;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A LoRA adapter as Hugging Face PEFT saves one ({@code PeftModel.save_pretrained}) and loads it
 * onto its base model ({@code PeftModel.from_pretrained}): {@code adapter_config.json} (peft_type
 * LORA, task_type CAUSAL_LM, r, lora_alpha, lora_dropout, target_modules, bias "none",
 * fan_in_fan_out false, no rsLoRA, DoRA or per-layer patterns, so the scaling is lora_alpha / r)
 * and {@code adapter_model.safetensors} with every adapter's A [r, in] and B [out, r] in F32 under
 * PEFT's names, {@code base_model.model.model.layers.L.self_attn.q_proj.lora_A.weight} (Phi-3:
 * {@code ...self_attn.qkv_proj.lora_A.weight}, one adapter on the fused module, B [q + 2 kv, r]).
 */
public final class PeftAdapter {
    public static final String CONFIG = "adapter_config.json", WEIGHTS = "adapter_model.safetensors";

    private PeftAdapter() {
    }

    /** Writes the weights, then the config (each atomically: a complete config means a complete adapter). */
    public static void write(Path dir, LoraConfig lora, List<LinearModule> targets, String baseModel, List<Param> params) {
        writeWeights(dir.resolve(WEIGHTS), params);
        AtomicFiles.writeJson(dir.resolve(CONFIG), config(lora, targets, baseModel));
    }

    /**
     * adapter_config.json with the fields of PEFT's LoraConfig that old and new PEFT versions read, at their defaults but ours;
     * target_modules names the adapted modules (as PEFT writes them after resolving all-linear).
     */
    static ObjectNode config(LoraConfig lora, List<LinearModule> targets, String baseModel) {
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.putObject("alpha_pattern");
        c.putNull("auto_mapping");
        c.put("base_model_name_or_path", baseModel);
        c.put("bias", "none");
        c.put("fan_in_fan_out", false);
        c.put("inference_mode", true);
        c.put("init_lora_weights", true);
        c.putNull("layers_pattern");
        c.putNull("layers_to_transform");
        if (lora.alpha() == Math.rint(lora.alpha())) c.put("lora_alpha", (long) lora.alpha()); // PEFT types it int
        else c.put("lora_alpha", lora.alpha());
        c.put("lora_dropout", lora.dropout());
        c.putNull("modules_to_save");
        c.put("peft_type", "LORA");
        c.put("r", lora.rank());
        c.putObject("rank_pattern");
        c.putNull("revision");
        var modules = c.putArray("target_modules");
        for (LinearModule m : targets) modules.add(m.name());
        c.put("task_type", "CAUSAL_LM");
        c.put("use_dora", false);
        c.put("use_rslora", false);
        return c;
    }

    /** The params as F32 tensors under their names. */
    static void writeWeights(Path file, List<Param> params) {
        Map<String, Tensor> tensors = new TreeMap<>();
        for (Param p : params) tensors.put(p.name(), Tensor.ofFloats(p.value(), p.shape()));
        SafetensorsWriter.write(file, tensors, null);
    }

    /** Reads every param's values from {@code file}, which must hold each under its name with its shape. */
    static void readWeights(Path file, List<Param> params) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (Param p : params) {
                Tensor t = f.tensor(p.name());
                if (!Arrays.equals(t.shape(), p.shape())) {
                    throw ShallowException.at(file, "tensor '" + p.name() + "' has shape " + Arrays.toString(t.shape()) + ", expected "
                            + Arrays.toString(p.shape()));
                }
                t.copyTo(0, p.value(), 0, p.value().length);
            }
        }
    }
}
