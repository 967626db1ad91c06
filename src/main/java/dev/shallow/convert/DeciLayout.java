package dev.shallow.convert;

import dev.shallow.ShallowException;
import dev.shallow.io.GgmlType;
import dev.shallow.io.GgufValueType;
import dev.shallow.io.GgufWriter;
import dev.shallow.model.AbsentSubBlocks;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.family.Deci;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model with sub-blocks removed written as llama.cpp's {@code deci} architecture, so llama.cpp skips them (src/models/deci.cpp):
 * the llama keys under {@code deci.}, with per-layer {@code attention.head_count}, {@code head_count_kv} (0 where the attention is
 * removed) and {@code feed_forward_length} ({@link #ffnLength}); no attn_* tensors in a block without attention; under a kept
 * attention a removed MLP becomes a stand-in MLP of width 1 with zero weights (issue #22: a length of 0 there would drop the
 * attention output too), and a block without either loses its ffn_* tensors. Refused before anything is written: a family whose
 * layer deci's graph does not compute exactly, block 0 without attention, an empty last block (issue #22 trap 2).
 *
 * @param absent per written block: its absent sub-blocks
 * @param source per written block: its layer in the source (for messages)
 */
public record DeciLayout(AbsentSubBlocks absent, int[] source) {
    /**
     * Families whose layer is deci's (Llama's: RMSNorm, gated SiLU MLP, full RoPE, optional q/k/v/o and MLP biases), and deci itself.
     * Qwen2's layer is Llama's with q/k/v biases and rotate-half RoPE, which deci's interleaved (NORM) RoPE computes once the q/k
     * rows are interleaved as for llama; Qwen3 (q/k norms), SmolLM3 (NoPE layers), Gemma, Phi-3 (fused, partial rotary) and Phi-2
     * (LayerNorm, GELU, parallel block) are not.
     */
    private static final Set<String> FAMILIES = Set.of("llama", "mistral", "qwen2", Deci.ARCHITECTURE);
    private static final Pattern BLOCK_TENSOR = Pattern.compile("blk\\.(\\d+)\\.(attn|ffn)_.*");

    /** The layout of {@code absent} (per written block, block i being source layer {@code source[i]}), checked for {@code family}. */
    public static DeciLayout of(String family, AbsentSubBlocks absent, int[] source, Path model) {
        if (!FAMILIES.contains(family)) {
            throw ShallowException.at(model, "--format gguf with sub-blocks removed writes llama.cpp's deci architecture, whose graph is Llama's; "
                    + "it does not compute a " + family + " layer (write --format hf, which zeroes the sub-blocks, or remove whole layers)");
        }
        int last = source.length - 1;
        if (absent.attention()[0]) {
            throw ShallowException.at(model, "layer " + source[0] + ", the first kept one, without attention: llama.cpp's deci takes the head size "
                    + "from block 0 and cannot load the file; keep its attention or remove the whole layer (--remove " + source[0] + ")");
        }
        if (absent.attention()[last] && absent.mlp()[last]) {
            throw ShallowException.at(model, "layer " + source[last] + ", the last kept one, without attention and MLP: llama.cpp's deci crashes on "
                    + "an empty last block; keep one of its sub-blocks or remove the whole layer (--remove " + source[last] + ")");
        }
        return new DeciLayout(absent, source.clone());
    }

    /** True when some written block lacks a sub-block (a plain llama file otherwise). */
    public boolean needed() {
        return absent.any();
    }

    /** Block i's feed-forward length: the model's, the stand-in's 1 under a kept attention, 0 for an empty block. */
    private int ffnLength(int i, ModelConfig c) {
        if (!absent.mlp()[i]) return c.intermediateSize();
        return absent.attention()[i] ? 0 : Deci.STAND_IN_FFN;
    }

    /**
     * The metadata {@code m} (a llama file's, under {@code from}'s prefix) moved under {@code deci.}, with the per-layer keys of
     * the written blocks of {@code c}; general.architecture set to deci.
     */
    public GgufWriter.Metadata keys(GgufWriter.Metadata m, String from, ModelConfig c) {
        int n = source.length;
        long[] heads = new long[n], kv = new long[n], ffn = new long[n];
        for (int i = 0; i < n; i++) {
            heads[i] = absent.attention()[i] ? 0 : c.numHeads();
            kv[i] = absent.attention()[i] ? 0 : c.numKvHeads();
            ffn[i] = ffnLength(i, c);
        }
        GgufWriter.Metadata out = new GgufWriter.Metadata();
        String prefix = Deci.ARCHITECTURE + ".";
        for (String key : m.keys()) {
            String name = key.startsWith(from + ".") ? prefix + key.substring(from.length() + 1) : key;
            switch (name.substring(name.startsWith(prefix) ? prefix.length() : 0)) {
                case Deci.HEADS -> out.intArray(name, GgufValueType.UINT32, heads);
                case Deci.KV_HEADS -> out.intArray(name, GgufValueType.UINT32, kv);
                case Deci.FFN -> out.intArray(name, GgufValueType.UINT32, ffn);
                default -> out.encoded(name, m.encoded(key));
            }
        }
        return out.string("general.architecture", Deci.ARCHITECTURE);
    }

    /** Whether the written tensor {@code name} stays: not an attn_* / ffn_* tensor of a removed sub-block (a stand-in keeps its ffn_norm). */
    public boolean keeps(String name) {
        Matcher m = BLOCK_TENSOR.matcher(name);
        if (!m.matches()) return true;
        int i = Integer.parseInt(m.group(1));
        if (m.group(2).equals("attn")) return !absent.attention()[i];
        return !absent.mlp()[i] || !absent.attention()[i] && name.equals("blk." + i + ".ffn_norm.weight");
    }

    /** The stand-in MLPs' zero ffn_gate, ffn_up [1, hidden] and ffn_down [hidden, 1] (F32: a few hundred bytes each). */
    public List<GgufWriter.Tensor> standIns(ModelConfig c) {
        List<GgufWriter.Tensor> out = new ArrayList<>();
        long h = c.hiddenSize(), w = Deci.STAND_IN_FFN;
        for (int i = 0; i < source.length; i++) {
            if (ffnLength(i, c) != Deci.STAND_IN_FFN) continue;
            out.add(zero("blk." + i + ".ffn_gate.weight", w, h));
            out.add(zero("blk." + i + ".ffn_up.weight", w, h));
            out.add(zero("blk." + i + ".ffn_down.weight", h, w));
        }
        return out;
    }

    private static GgufWriter.Tensor zero(String name, long rows, long cols) {
        return new GgufWriter.Tensor(name, new long[] {rows, cols}, GgmlType.F32, dst -> dst.fill((byte) 0));
    }
}
