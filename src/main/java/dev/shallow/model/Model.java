package dev.shallow.model;

import dev.shallow.ShallowException;
import dev.shallow.io.Checkpoint;
import dev.shallow.tensor.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A Llama-family checkpoint opened for compute: its config and its weights as views of the
 * memory-mapped safetensors files (nothing but norms and biases is copied).
 */
public final class Model implements AutoCloseable {
    private final Path dir;
    private final ModelConfig config;
    private final Checkpoint checkpoint;
    private final Tensor embed;
    private final List<LayerWeights> layers;
    private final float[] finalNorm;
    private final Tensor lmHead;

    private Model(Path dir, ModelConfig config, Checkpoint checkpoint, Tensor embed, List<LayerWeights> layers,
                  float[] finalNorm, Tensor lmHead) {
        this.dir = dir;
        this.config = config;
        this.checkpoint = checkpoint;
        this.embed = embed;
        this.layers = layers;
        this.finalNorm = finalNorm;
        this.lmHead = lmHead;
    }

    /** Opens a Hugging Face model directory (config.json + safetensors, single or sharded). */
    public static Model load(Path dir) {
        if (!Files.isDirectory(dir)) throw ShallowException.at(dir, "model directory not found");
        ModelConfig c = ModelConfig.load(dir);
        Checkpoint ck = Checkpoint.open(dir);
        try {
            int h = c.hiddenSize(), ffn = c.intermediateSize();
            Tensor embed = matrix(ck, "model.embed_tokens.weight", c.vocabSize(), h);
            List<LayerWeights> layers = new ArrayList<>(c.numLayers());
            for (int l = 0; l < c.numLayers(); l++) {
                String p = "model.layers." + l + ".";
                layers.add(new LayerWeights(
                        vector(ck, p + "input_layernorm.weight", h),
                        matrix(ck, p + "self_attn.q_proj.weight", c.qDim(), h),
                        matrix(ck, p + "self_attn.k_proj.weight", c.kvDim(), h),
                        matrix(ck, p + "self_attn.v_proj.weight", c.kvDim(), h),
                        matrix(ck, p + "self_attn.o_proj.weight", h, c.qDim()),
                        c.attentionBias() ? vector(ck, p + "self_attn.q_proj.bias", c.qDim()) : null,
                        c.attentionBias() ? vector(ck, p + "self_attn.k_proj.bias", c.kvDim()) : null,
                        c.attentionBias() ? vector(ck, p + "self_attn.v_proj.bias", c.kvDim()) : null,
                        vector(ck, p + "post_attention_layernorm.weight", h),
                        matrix(ck, p + "mlp.gate_proj.weight", ffn, h),
                        matrix(ck, p + "mlp.up_proj.weight", ffn, h),
                        matrix(ck, p + "mlp.down_proj.weight", h, ffn)));
            }
            if (ck.has("model.layers." + c.numLayers() + ".input_layernorm.weight")) {
                throw ShallowException.at(dir, "checkpoint has more layers than num_hidden_layers = " + c.numLayers() + " in config.json");
            }
            float[] norm = vector(ck, "model.norm.weight", h);
            Tensor head = c.tieWordEmbeddings() && !ck.has("lm_head.weight") ? embed : matrix(ck, "lm_head.weight", c.vocabSize(), h);
            return new Model(dir, c, ck, embed, List.copyOf(layers), norm, head);
        } catch (RuntimeException e) {
            ck.close();
            throw e;
        }
    }

    private static Tensor matrix(Checkpoint ck, String name, int rows, int cols) {
        Tensor t = ck.tensor(name);
        if (!Arrays.equals(t.shape(), new long[]{rows, cols})) {
            throw ShallowException.at(ck.dir(), "tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                    + " but config.json implies [" + rows + ", " + cols + "]");
        }
        return t;
    }

    private static float[] vector(Checkpoint ck, String name, int n) {
        Tensor t = ck.tensor(name);
        if (!Arrays.equals(t.shape(), new long[]{n})) {
            throw ShallowException.at(ck.dir(), "tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                    + " but config.json implies [" + n + "]");
        }
        return t.toFloatArray();
    }

    public Path dir() {
        return dir;
    }

    public ModelConfig config() {
        return config;
    }

    public Checkpoint checkpoint() {
        return checkpoint;
    }

    public Tensor embed() {
        return embed;
    }

    public LayerWeights layer(int l) {
        return layers.get(l);
    }

    public float[] finalNorm() {
        return finalNorm;
    }

    public Tensor lmHead() {
        return lmHead;
    }

    /** Number of parameters (tied embeddings counted once). */
    public long parameterCount() {
        long n = 0;
        for (String name : checkpoint.names()) n += checkpoint.info(name).elements();
        return n;
    }

    @Override
    public void close() {
        checkpoint.close();
    }
}
