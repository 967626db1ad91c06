package dev.shallow.model;

/** The MLP's activation. */
public enum Activation {
    /** silu(x) = x / (1 + e^-x) (Llama, Qwen, Mistral, Phi-3, SmolLM3). */
    SILU,
    /** gelu_tanh(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (Gemma's gelu_pytorch_tanh, Phi-2's gelu_new). */
    GELU_TANH
}
