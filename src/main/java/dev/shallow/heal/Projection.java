package dev.shallow.heal;

import dev.shallow.model.ModelConfig;

/** The seven linear projections of a decoder layer, the modules LoRA can adapt, by their Hugging Face paths. */
public enum Projection {
    Q("self_attn.q_proj"), K("self_attn.k_proj"), V("self_attn.v_proj"), O("self_attn.o_proj"),
    GATE("mlp.gate_proj"), UP("mlp.up_proj"), DOWN("mlp.down_proj");

    /** The module path inside a layer, e.g. "self_attn.q_proj". */
    public final String path;

    Projection(String path) {
        this.path = path;
    }

    /** PEFT's target_modules name, e.g. "q_proj". */
    public String moduleName() {
        return path.substring(path.indexOf('.') + 1);
    }

    /** Input features. */
    public int in(ModelConfig c) {
        return switch (this) {
            case O -> c.qDim();
            case DOWN -> c.intermediateSize();
            default -> c.hiddenSize();
        };
    }

    /** Output features. */
    public int out(ModelConfig c) {
        return switch (this) {
            case Q -> c.qDim();
            case K, V -> c.kvDim();
            case GATE, UP -> c.intermediateSize();
            case O, DOWN -> c.hiddenSize();
        };
    }
}
