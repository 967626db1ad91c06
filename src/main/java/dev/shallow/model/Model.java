package dev.shallow.model;

import dev.shallow.ShallowException;
import dev.shallow.io.Checkpoint;
import dev.shallow.io.GgufWeights;
import dev.shallow.io.Weights;
import dev.shallow.model.family.Families;
import dev.shallow.model.family.Family;
import dev.shallow.model.family.TensorNames;
import dev.shallow.tensor.DType;
import dev.shallow.tensor.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A checkpoint opened for compute: its config and its weights as views of the memory-mapped safetensors files or GGUF
 * file (nothing but norms, biases and a GGUF's interleaved q/k is copied), named as its family names them ({@link TensorNames}).
 */
public final class Model implements AutoCloseable {
    private final Path dir;
    private final ModelConfig config;
    private final Weights weights;
    private final Tensor embed;
    private final float embedScale;
    private final List<LayerWeights> layers;
    private final NormWeights finalNorm;
    private final Tensor lmHead;
    private final float[] lmHeadBias;
    private final TensorNames names;

    private Model(Path dir, ModelConfig config, Weights weights, TensorNames names, Tensor embed, float embedScale,
                  List<LayerWeights> layers, NormWeights finalNorm, Tensor lmHead, float[] lmHeadBias) {
        this.names = names;
        this.dir = dir;
        this.config = config;
        this.weights = weights;
        this.embed = embed;
        this.embedScale = embedScale;
        this.layers = layers;
        this.finalNorm = finalNorm;
        this.lmHead = lmHead;
        this.lmHeadBias = lmHeadBias;
    }

    /** Opens a Hugging Face model directory (config.json + safetensors, single or sharded) or a GGUF file of a supported family. */
    public static Model load(Path dir) {
        return load(dir, UnaryOperator.identity());
    }

    /**
     * The checkpoint read as if its config were {@code adjust(config)}: an ablation, such as a family feature switched
     * off (q/k norms, post-norms, the embedding scale, (1 + w) norms read as w), computed from the same weights.
     */
    public static Model load(Path dir, UnaryOperator<ModelConfig> adjust) {
        boolean gguf = GgufWeights.isGguf(dir);
        if (!gguf && !Files.isDirectory(dir)) throw ShallowException.at(dir, "model directory not found");
        ModelConfig hf = gguf ? null : adjust.apply(ModelConfig.load(dir));
        Weights ck = gguf ? GgufWeights.open(dir) : Checkpoint.open(dir);
        try {
            Loader ld;
            if (gguf) {
                GgufKeys keys = GgufKeys.of((GgufWeights) ck);
                Family f = Families.of(keys);
                ModelConfig c = adjust.apply(f.readGguf(keys));
                ld = new Loader(ck, c, f.ggufNames(ck::has), f.ggufInterleavedQk(), "the GGUF metadata", f.ggufAbsentSubBlocks(keys, c.numLayers()));
            } else {
                ld = new Loader(ck, hf, Families.of(hf).names(ck::has), false, "config.json", AbsentSubBlocks.ofRecord(dir, hf.numLayers()));
            }
            ModelConfig c = ld.c;
            if (!"1".equals(System.getenv("SHALLOW_SKIP_WEIGHT_CHECK"))) ck.requireFinite(); // NaN or Inf weights: an error naming the tensor
            TensorNames n = ld.names;
            int h = c.hiddenSize();
            Tensor embed = ld.matrix(n.embed() + ".weight", c.vocabSize(), h);
            List<LayerWeights> layers = new ArrayList<>(c.numLayers());
            for (int l = 0; l < c.numLayers(); l++) layers.add(ld.layer(l));
            if (ck.has(n.layer(c.numLayers(), n.attnNorm(), "weight"))) {
                throw ShallowException.at(dir, "checkpoint has more layers than the " + c.numLayers() + " of " + ld.configName);
            }
            NormWeights norm = ld.norm(n.finalNorm(), h);
            // tie_word_embeddings: Hugging Face ties the head to the embeddings even when lm_head.weight is stored
            Tensor head = c.tieWordEmbeddings() ? embed : ld.matrix(n.head() + ".weight", c.vocabSize(), h);
            float[] headBias = c.headBias() ? ld.vector(n.head() + ".bias", c.vocabSize()) : null;
            // llama.cpp scales by sqrtf(n_embd) in float32 whatever the embeddings' type (src/models/gemma2.cpp, gemma3.cpp: ggml_scale)
            float scale = embedScale(c, gguf ? DType.F32 : embed.dtype());
            return new Model(dir, c, ck, n, embed, scale, List.copyOf(layers), norm, head, headBias);
        } catch (RuntimeException e) {
            ck.close();
            throw e;
        }
    }

    /** Gemma: sqrt(hidden_size) rounded to the embeddings' dtype (transformers casts the scale to it); else 1. */
    static float embedScale(ModelConfig c, DType dtype) {
        if (!c.scaleEmbeddings()) return 1f;
        float s = (float) Math.sqrt(c.hiddenSize());
        return switch (dtype) {
            case BF16 -> Float.intBitsToFloat(((Float.floatToRawIntBits(s) + 0x7FFF + ((Float.floatToRawIntBits(s) >>> 16) & 1)) >>> 16) << 16); // round to nearest even
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(s));
            default -> s;
        };
    }

    /**
     * Reads one family's tensors with the shapes the config (read from {@code configName}) implies; {@code interleavedQk}:
     * q/k rows are stored in llama.cpp's interleaved order ({@link InterleavedRows}); {@code absent}: the sub-blocks the model
     * computes nothing with, loaded as null weights (a stored output projection of one must be zero).
     */
    private record Loader(Weights ck, ModelConfig c, TensorNames names, boolean interleavedQk, String configName, AbsentSubBlocks absent) {

        LayerWeights layer(int l) {
            boolean attention = !absent.attention()[l], mlp = !absent.mlp()[l];
            if (!attention) requireZero(names.layer(l, names.o(), "weight"), names.layer(l, names.o(), "bias"));
            if (!mlp) requireZero(names.layer(l, names.down(), "weight"), names.layer(l, names.down(), "bias"));
            NormWeights attnNorm = attention || c.parallelBlock() ? norm(layerPart(l, names.attnNorm()), c.hiddenSize()) : null;
            Attention a = attention ? attention(l) : new Attention(null, null, null, null, null, null, null, null, null, null, null);
            Mlp m = mlp ? mlp(l) : new Mlp(null, null, null, null, null, null, null, null);
            return new LayerWeights(attnNorm, a.wq(), a.wk(), a.wv(), a.wo(), a.bq(), a.bk(), a.bv(), a.bo(), a.qNorm(), a.kNorm(), a.postNorm(),
                    m.norm(), m.wGate(), m.wUp(), m.wDown(), m.bGate(), m.bUp(), m.bDown(), m.postNorm());
        }

        /** The weights of an attention sub-block. */
        private record Attention(Tensor wq, Tensor wk, Tensor wv, Tensor wo, float[] bq, float[] bk, float[] bv, float[] bo,
                                 NormWeights qNorm, NormWeights kNorm, NormWeights postNorm) {
        }

        /** The weights of an MLP sub-block. */
        private record Mlp(NormWeights norm, Tensor wGate, Tensor wUp, Tensor wDown, float[] bGate, float[] bUp, float[] bDown, NormWeights postNorm) {
        }

        /** A sub-block listed as absent computes nothing only if its stored output projection (and bias) is zero. */
        private void requireZero(String... tensors) {
            for (String name : tensors) {
                if (!ck.has(name)) continue;
                Tensor t = ck.tensor(name);
                for (long i = 0, n = t.size(); i < n; i++) {
                    if (t.get(i) != 0) throw ShallowException.at(ck.path(), "tensor '" + name + "' of a sub-block listed as removed is not zero (element " + i + " is " + t.get(i) + ")");
                }
            }
        }

        private Attention attention(int l) {
            int h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), d = c.headDim();
            Tensor wq, wk, wv;
            float[] bq = null, bk = null, bv = null;
            if (names.qkv() != null) {
                Tensor qkv = matrix(names.layer(l, names.qkv(), "weight"), q + 2 * kv, h);
                wq = qkv.rowBlock(0, q);
                wk = qkv.rowBlock(q, kv);
                wv = qkv.rowBlock(q + kv, kv);
                if (c.qkvBias()) {
                    float[] b = vector(names.layer(l, names.qkv(), "bias"), q + 2 * kv);
                    bq = Arrays.copyOfRange(b, 0, q);
                    bk = Arrays.copyOfRange(b, q, q + kv);
                    bv = Arrays.copyOfRange(b, q + kv, q + 2 * kv);
                }
            } else {
                wq = matrix(names.layer(l, names.q(), "weight"), q, h);
                wk = matrix(names.layer(l, names.k(), "weight"), kv, h);
                wv = matrix(names.layer(l, names.v(), "weight"), kv, h);
                if (c.qkvBias()) {
                    bq = vector(names.layer(l, names.q(), "bias"), q);
                    bk = vector(names.layer(l, names.k(), "bias"), kv);
                    bv = vector(names.layer(l, names.v(), "bias"), kv);
                }
            }
            if (interleavedQk) {
                wq = InterleavedRows.toRotateHalf(wq, d);
                wk = InterleavedRows.toRotateHalf(wk, d);
                if (bq != null) {
                    bq = InterleavedRows.toRotateHalf(bq, d);
                    bk = InterleavedRows.toRotateHalf(bk, d);
                }
            }
            return new Attention(wq, wk, wv, matrix(names.layer(l, names.o(), "weight"), h, q), bq, bk, bv,
                    c.outputBias() ? vector(names.layer(l, names.o(), "bias"), h) : null,
                    c.qkNorm() ? norm(layerPart(l, names.qNorm()), d) : null,
                    c.qkNorm() ? norm(layerPart(l, names.kNorm()), d) : null,
                    c.postNorms() ? norm(layerPart(l, names.postAttnNorm()), h) : null);
        }

        private Mlp mlp(int l) {
            int h = c.hiddenSize(), ffn = c.intermediateSize();
            Tensor wGate = null, wUp;
            float[] bGate = null, bUp = null;
            if (names.gateUp() != null) {
                Tensor gu = matrix(names.layer(l, names.gateUp(), "weight"), 2 * ffn, h);
                wGate = gu.rowBlock(0, ffn);
                wUp = gu.rowBlock(ffn, ffn);
            } else {
                if (c.gatedMlp()) wGate = matrix(names.layer(l, names.gate(), "weight"), ffn, h);
                wUp = matrix(names.layer(l, names.up(), "weight"), ffn, h);
                if (c.mlpBias()) {
                    if (c.gatedMlp()) bGate = vector(names.layer(l, names.gate(), "bias"), ffn);
                    bUp = vector(names.layer(l, names.up(), "bias"), ffn);
                }
            }
            return new Mlp(c.parallelBlock() ? null : norm(layerPart(l, names.ffnNorm()), h),
                    wGate, wUp, matrix(names.layer(l, names.down(), "weight"), h, ffn),
                    bGate, bUp, c.mlpBias() ? vector(names.layer(l, names.down(), "bias"), h) : null,
                    c.postNorms() ? norm(layerPart(l, names.postFfnNorm()), h) : null);
        }

        private String layerPart(int l, String part) {
            return names.layerPrefix() + l + "." + part;
        }

        /** A norm's weight (as 1 + w for Gemma's norms) and, for LayerNorm, its bias. */
        NormWeights norm(String name, int n) {
            float[] w = vector(name + ".weight", n);
            if (c.norm() == NormKind.RMS_PLUS_ONE) for (int i = 0; i < n; i++) w[i] = 1f + w[i]; // (1 + w) in float32
            return new NormWeights(w, c.norm() == NormKind.LAYER ? vector(name + ".bias", n) : null);
        }

        Tensor matrix(String name, int rows, int cols) {
            Tensor t = ck.tensor(name);
            if (!Arrays.equals(t.shape(), new long[]{rows, cols})) {
                throw ShallowException.at(ck.path(), "tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                        + " but " + configName + " implies [" + rows + ", " + cols + "]");
            }
            return t;
        }

        float[] vector(String name, int n) {
            Tensor t = ck.tensor(name);
            if (!Arrays.equals(t.shape(), new long[]{n})) {
                throw ShallowException.at(ck.path(), "tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                        + " but " + configName + " implies [" + n + "]");
            }
            return t.toFloatArray();
        }
    }

    /** The model directory, or the GGUF file. */
    public Path dir() {
        return dir;
    }

    /** True when the model was read from a GGUF file. */
    public boolean isGguf() {
        return weights instanceof GgufWeights;
    }

    public ModelConfig config() {
        return config;
    }

    /** The stored tensors, by their stored names. */
    public Weights weights() {
        return weights;
    }

    /** The safetensors checkpoint of a Hugging Face model; a GGUF model is refused (the steps that need one write safetensors). */
    public Checkpoint checkpoint() {
        if (weights instanceof Checkpoint ck) return ck;
        throw ShallowException.at(dir, "is a GGUF file; this step needs a Hugging Face checkpoint directory (shallow convert FILE.gguf --out DIR makes one)");
    }

    /** The tensor names of this checkpoint (its family's, under the prefix it uses). */
    public TensorNames names() {
        return names;
    }

    public Tensor embed() {
        return embed;
    }

    /** The factor of the embeddings (Gemma: sqrt(hidden) in the embeddings' dtype, in float32 for a GGUF as llama.cpp; else 1). */
    public float embedScale() {
        return embedScale;
    }

    public LayerWeights layer(int l) {
        return layers.get(l);
    }

    /**
     * This model with layer {@code l}'s weights replaced by {@code w}: a view over the same stored weights, for computing with an
     * edited layer; close this model, not the view.
     */
    public Model withLayer(int l, LayerWeights w) {
        List<LayerWeights> edited = new ArrayList<>(layers);
        edited.set(l, w);
        return new Model(dir, config, weights, names, embed, embedScale, List.copyOf(edited), finalNorm, lmHead, lmHeadBias);
    }

    public NormWeights finalNorm() {
        return finalNorm;
    }

    public Tensor lmHead() {
        return lmHead;
    }

    /** lm_head's bias (Phi-2), or null. */
    public float[] lmHeadBias() {
        return lmHeadBias;
    }

    /** Number of parameters (tied embeddings counted once). */
    public long parameterCount() {
        long n = 0;
        for (String name : weights.names()) n += weights.stored(name).elements();
        return n;
    }

    @Override
    public void close() {
        weights.close();
    }
}
