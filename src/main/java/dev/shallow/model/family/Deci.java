package dev.shallow.model.family;

import dev.shallow.model.AbsentSubBlocks;
import dev.shallow.model.ConfigJson;
import dev.shallow.model.GgufKeys;
import dev.shallow.model.ModelConfig;

import java.util.List;

/**
 * llama.cpp's {@code deci} architecture (Nemotron-NAS, src/models/deci.cpp), as Shallow writes it for a Llama or Mistral model
 * with attention or MLP sub-blocks removed: Llama's layer and keys, but {@code deci.attention.head_count},
 * {@code head_count_kv} and {@code feed_forward_length} per layer. A head count of 0 is a block without attention (no attn_*
 * tensors); a feed-forward length of 0 a block without MLP (only where the attention is absent too: llama.cpp drops the
 * attention output of a block with attention and length 0, issue #22), and 1 with a zero {@code ffn_down} the stand-in MLP
 * Shallow writes under a kept attention. Read back with those sub-blocks absent ({@link AbsentSubBlocks}); other per-layer
 * widths (Nemotron-NAS's own variable-width models, its "linear attention") are refused. Read from GGUF only: there is no
 * Hugging Face model_type.
 */
public final class Deci extends Family {
    public static final String ARCHITECTURE = "deci";
    /** The per-layer keys (llama.cpp LLM_KV_ATTENTION_HEAD_COUNT, _HEAD_COUNT_KV, LLM_KV_FEED_FORWARD_LENGTH, read with get_key_or_arr). */
    public static final String HEADS = "attention.head_count", KV_HEADS = "attention.head_count_kv", FFN = "feed_forward_length";
    /** The feed-forward length of a stand-in MLP (zero weights: its output is exactly 0). */
    public static final int STAND_IN_FFN = 1;

    public Deci() {
        super("deci", ARCHITECTURE, List.of());
    }

    @Override
    public ModelConfig read(ConfigJson json) {
        throw json.fail("deci (Nemotron-NAS) is read from GGUF files only");
    }

    /** Per-layer widths of a file: the ones it shares (block 0's heads, the widest MLP), checked to be those or absent. */
    private record Widths(int[] heads, int[] kv, int[] ffn, int h, int kvh, int f) {
        static Widths of(GgufKeys k) {
            int layers = k.size("block_count", ModelConfig.MAX_LAYERS);
            int[] heads = k.perLayer(HEADS, layers), ffn = k.perLayer(FFN, layers);
            int[] kv = k.has(KV_HEADS) ? k.perLayer(KV_HEADS, layers) : heads.clone(); // llama.cpp: n_head_kv defaults to n_head
            int h = heads[0], kvh = kv[0], f = 0;
            if (h <= 0 || kvh <= 0) throw k.fail("block 0 has no attention (" + k.key(HEADS) + "[0] = " + h + "): llama.cpp takes the head size from it");
            for (int v : ffn) f = Math.max(f, v);
            for (int l = 0; l < layers; l++) {
                boolean attention = heads[l] == h && kv[l] == kvh, none = heads[l] == 0 && kv[l] == 0;
                if (!attention && !none || ffn[l] != 0 && ffn[l] != STAND_IN_FFN && ffn[l] != f) {
                    throw k.fail("block " + l + " has " + heads[l] + " heads, " + kv[l] + " kv heads, feed_forward_length " + ffn[l]
                            + ": per-layer widths other than the model's (" + h + ", " + kvh + ", " + f + ") or 0 are not supported");
                }
            }
            return new Widths(heads, kv, ffn, h, kvh, f);
        }
    }

    @Override
    public ModelConfig readGguf(GgufKeys k) {
        Widths w = Widths.of(k);
        ModelConfig.Builder b = GgufCommon.base(k.withScalar(HEADS, w.h).withScalar(KV_HEADS, w.kvh).withScalar(FFN, w.f), this);
        for (int l = 0; l < w.ffn.length; l++) { // biases as block 0 has them, from a block with a real MLP (block 0's may be absent)
            if (w.ffn[l] == w.f) {
                b.mlpBias = k.hasTensor(TensorNames.GGUF.layer(l, TensorNames.GGUF.up(), "bias"));
                break;
            }
        }
        return GgufCommon.uniform(b, GgufCommon.rope(k, b.headDim));
    }

    @Override
    public AbsentSubBlocks ggufAbsentSubBlocks(GgufKeys k, int layers) {
        Widths w = Widths.of(k);
        AbsentSubBlocks out = AbsentSubBlocks.none(layers);
        for (int l = 0; l < layers; l++) {
            out.attention()[l] = w.heads[l] == 0;
            out.mlp()[l] = w.ffn[l] != w.f || w.f == STAND_IN_FFN; // 0, or the stand-in (its ffn_down is checked to be zero when loaded)
        }
        return out;
    }

    /** A deci file has no Hugging Face counterpart: the model it holds has layers without attention or MLP. */
    @Override
    public com.fasterxml.jackson.databind.node.ObjectNode hfConfig(ModelConfig c) {
        throw new IllegalArgumentException("a deci file (sub-blocks removed) has no Hugging Face form Shallow writes; prune the Hugging Face "
                + "checkpoint with --format hf instead (sub-blocks zeroed)");
    }

    /** deci's RoPE is llama's NORM type: q/k rows interleaved as in a llama file (src/llama-model.cpp llama_model_rope_type). */
    @Override
    public boolean ggufInterleavedQk() {
        return true;
    }
}
