package dev.shallow.model;

import dev.shallow.io.StrictJson;
import dev.shallow.model.family.Family;
import dev.shallow.model.family.Families;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A decoder-only transformer as the compute code sees it, whatever the family: sizes, the parts each layer
 * has (norm kind, parallel or sequential block, post-norms, q/k norms, gated MLP, biases), attention scale and
 * soft-capping, and per layer its {@link LayerType} (window, RoPE or NoPE). Read from a Hugging Face
 * {@code config.json} by the {@link Family} its {@code model_type} names ({@link #load}).
 *
 * @param norm          one kind for every norm of the model
 * @param parallelBlock Phi-2: x + attn(LN(x)) + mlp(LN(x)) with one norm; else x += attn(norm(x)); x += mlp(norm(x))
 * @param postNorms     Gemma: a norm on the attention and MLP outputs before they are added
 * @param qkNorm        a per-head norm of q and k (weights [head_dim]) before RoPE: Qwen3, Gemma 3, Phi-2 qk_layernorm
 * @param gatedMlp      down(act(gate(x)) * up(x)); else down(act(up(x))) (Phi-2's fc1/fc2, fc1 as "up")
 * @param attentionScale the factor of q.k (head_dim^-0.5, Gemma query_pre_attn_scalar^-0.5)
 * @param attnSoftcap   0, or c in s = c tanh(s / c) on the scaled scores (Gemma 2)
 * @param finalSoftcap  0, or c in logits = c tanh(logits / c)
 * @param scaleEmbeddings Gemma: embeddings x sqrt(hidden_size) rounded to the embeddings' dtype
 */
public record ModelConfig(
        String family,
        String modelType,
        String architecture,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int vocabSize,
        int maxPositionEmbeddings,
        NormKind norm,
        float normEps,
        Activation activation,
        boolean gatedMlp,
        boolean parallelBlock,
        boolean postNorms,
        boolean qkNorm,
        boolean qkvBias,
        boolean outputBias,
        boolean mlpBias,
        boolean headBias,
        double attentionScale,
        float attnSoftcap,
        float finalSoftcap,
        boolean scaleEmbeddings,
        List<LayerType> layerTypes,
        boolean tieWordEmbeddings,
        String torchDtype,
        int bosTokenId,
        int eosTokenId) {

    /** Largest dimension accepted from a config (keeps every index product within a long and every row within an int). */
    public static final int MAX_DIM = 1 << 20;
    public static final int MAX_LAYERS = 4096;

    public ModelConfig {
        layerTypes = List.copyOf(layerTypes);
        if (layerTypes.size() != numLayers) throw new IllegalArgumentException(layerTypes.size() + " layer types for " + numLayers + " layers");
    }

    /** Reads {@code config.json} of a model directory (or the file itself) with its family's rules. */
    public static ModelConfig load(Path modelDir) {
        Path file = Files.isDirectory(modelDir) ? modelDir.resolve("config.json") : modelDir;
        return Families.read(new ConfigJson(file, StrictJson.readObject(file)));
    }

    public int qDim() {
        return numHeads * headDim;
    }

    public int kvDim() {
        return numKvHeads * headDim;
    }

    public LayerType layerType(int layer) {
        return layerTypes.get(layer);
    }

    /** This config with {@code layers} layers, the types of the kept ones (ascending original indices). */
    public ModelConfig keep(int[] kept) {
        List<LayerType> types = new ArrayList<>(kept.length);
        for (int l : kept) types.add(layerTypes.get(l));
        return new Builder(this).layers(types).build();
    }

    /**
     * What this model has beyond a Llama layer, in words (for {@code info}, and for code that implements only
     * the Llama layer to refuse the rest): empty for Llama, Mistral without a window, Qwen2 without a window.
     */
    public List<String> features() {
        List<String> f = new ArrayList<>();
        if (norm != NormKind.RMS) f.add(norm == NormKind.LAYER ? "LayerNorm with bias" : "RMSNorm x (1 + w)");
        if (parallelBlock) f.add("parallel attention and MLP");
        if (postNorms) f.add("post-attention and post-MLP norms");
        if (qkNorm) f.add("per-head q/k norm");
        if (!gatedMlp) f.add("ungated MLP");
        if (activation != Activation.SILU) f.add("GELU (tanh)");
        List<String> biases = new ArrayList<>();
        if (outputBias) biases.add("o_proj");
        if (mlpBias) biases.add("MLP");
        if (headBias) biases.add("lm_head");
        if (!biases.isEmpty()) f.add("biases on " + String.join(", ", biases));
        if (Math.abs(attentionScale - 1 / Math.sqrt(headDim)) > 1e-7) f.add(String.format("attention scale %.6g", attentionScale));
        if (attnSoftcap > 0) f.add("attention soft-cap " + attnSoftcap);
        if (finalSoftcap > 0) f.add("final soft-cap " + finalSoftcap);
        if (scaleEmbeddings) f.add("embeddings x sqrt(hidden)");
        long sliding = layerTypes.stream().filter(LayerType::sliding).count();
        if (sliding > 0) f.add("sliding window " + layerTypes.stream().mapToInt(LayerType::window).max().orElse(0) + " on " + sliding + " of " + numLayers + " layers");
        long nope = layerTypes.stream().filter(t -> t.rope() == null).count();
        if (nope > 0) f.add("no RoPE on " + nope + " of " + numLayers + " layers");
        List<RopeSpec> ropes = ropes();
        if (ropes.stream().anyMatch(r -> r.rotaryDim() != headDim)) f.add("partial rotary (" + ropes.getFirst().rotaryDim() + " of " + headDim + " dims)");
        if (ropes.size() > 1) f.add("local and global RoPE");
        return Collections.unmodifiableList(f);
    }

    /** The distinct RoPE specs of the layers, in order of first use. */
    public List<RopeSpec> ropes() {
        return layerTypes.stream().map(LayerType::rope).filter(r -> r != null).distinct().toList();
    }

    /** A config built field by field: the families start from {@link #Builder()} (Llama's layer) and change what differs. */
    public static final class Builder {
        public String family, modelType, architecture = "", torchDtype = "float32";
        public int hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim, vocabSize, maxPositionEmbeddings = 2048;
        public NormKind norm = NormKind.RMS;
        public float normEps = 1e-6f;
        public Activation activation = Activation.SILU;
        public boolean gatedMlp = true, parallelBlock, postNorms, qkNorm, qkvBias, outputBias, mlpBias, headBias, scaleEmbeddings;
        public double attentionScale;
        public float attnSoftcap, finalSoftcap;
        public List<LayerType> layerTypes;
        public boolean tieWordEmbeddings;
        public int bosTokenId = -1, eosTokenId = -1;

        public Builder() {
        }

        /** A builder holding {@code c}'s values. */
        public Builder(ModelConfig c) {
            family = c.family;
            modelType = c.modelType;
            architecture = c.architecture;
            torchDtype = c.torchDtype;
            hiddenSize = c.hiddenSize;
            intermediateSize = c.intermediateSize;
            numLayers = c.numLayers;
            numHeads = c.numHeads;
            numKvHeads = c.numKvHeads;
            headDim = c.headDim;
            vocabSize = c.vocabSize;
            maxPositionEmbeddings = c.maxPositionEmbeddings;
            norm = c.norm;
            normEps = c.normEps;
            activation = c.activation;
            gatedMlp = c.gatedMlp;
            parallelBlock = c.parallelBlock;
            postNorms = c.postNorms;
            qkNorm = c.qkNorm;
            qkvBias = c.qkvBias;
            outputBias = c.outputBias;
            mlpBias = c.mlpBias;
            headBias = c.headBias;
            attentionScale = c.attentionScale;
            attnSoftcap = c.attnSoftcap;
            finalSoftcap = c.finalSoftcap;
            scaleEmbeddings = c.scaleEmbeddings;
            layerTypes = c.layerTypes;
            tieWordEmbeddings = c.tieWordEmbeddings;
            bosTokenId = c.bosTokenId;
            eosTokenId = c.eosTokenId;
        }

        public Builder layers(List<LayerType> types) {
            layerTypes = types;
            numLayers = types.size();
            return this;
        }

        public ModelConfig build() {
            if (attentionScale == 0) attentionScale = 1 / Math.sqrt(headDim);
            return new ModelConfig(family, modelType, architecture, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads,
                    headDim, vocabSize, maxPositionEmbeddings, norm, normEps, activation, gatedMlp, parallelBlock, postNorms, qkNorm,
                    qkvBias, outputBias, mlpBias, headBias, attentionScale, attnSoftcap, finalSoftcap, scaleEmbeddings, layerTypes,
                    tieWordEmbeddings, torchDtype, bosTokenId, eosTokenId);
        }
    }

}
