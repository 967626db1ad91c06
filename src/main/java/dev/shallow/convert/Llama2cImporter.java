package dev.shallow.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.convert.Llama2cLayout.Placement;
import dev.shallow.io.AtomicFiles;
import dev.shallow.io.Checkpoint;
import dev.shallow.io.InputFiles;
import dev.shallow.io.OutputPolicy;
import dev.shallow.io.SafetensorsWriter;
import dev.shallow.tensor.DType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Converts a llama2.c checkpoint and tokenizer into a Hugging Face Llama directory (config.json,
 * model.safetensors in F32, tokenizer.json, tokenizer_config.json, generation_config.json).
 * The weights are copied straight from the mapped .bin into the mapped output, q/k rows permuted.
 */
public final class Llama2cImporter {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** run.c's RMSNorm epsilon and RoPE base. */
    private static final double RMS_NORM_EPS = 1e-5, ROPE_THETA = 10000.0;

    private Llama2cImporter() {
    }

    /** What was written: the directory, its files, and the model's shape. */
    public record ImportedModel(Path dir, List<String> files, int tensors, long parameters, int layers, int hiddenSize,
                                int vocabSize, boolean tiedEmbeddings) {
    }

    /** Imports into {@code outDir}, which must not exist or be empty. */
    public static ImportedModel importModel(Path modelBin, Path tokenizerBin, Path outDir) {
        return importModel(modelBin, tokenizerBin, outDir, false);
    }

    /** Imports into {@code outDir}; a non-empty one is replaced whole if {@code overwrite}, else refused. Inputs are checked before anything is written. */
    public static ImportedModel importModel(Path modelBin, Path tokenizerBin, Path outDir, boolean overwrite) {
        InputFiles.requireRegular(modelBin);
        InputFiles.requireRegular(tokenizerBin);
        OutputPolicy.checkDirectory(outDir, overwrite, modelBin, tokenizerBin);
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(modelBin, StandardOpenOption.READ)) {
            MemorySegment bin = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            Llama2cHeader h = Llama2cHeader.read(modelBin, bin);
            Llama2cLayout layout = Llama2cLayout.of(h);
            h.checkSize(modelBin, bin.byteSize(), layout);
            Llama2cVocabulary vocabulary = Llama2cVocabulary.read(tokenizerBin, h.vocabSize());
            Map<String, Placement> placements = layout.tensors();
            List<SafetensorsWriter.Entry> entries = new ArrayList<>();
            long parameters = 0;
            for (Placement p : placements.values()) {
                entries.add(new SafetensorsWriter.Entry(p.name(), DType.F32, p.shape()));
                parameters += p.bytes() / 4;
            }
            AtomicFiles.writeDirectory(outDir, overwrite, dir -> {
                AtomicFiles.writeJson(dir.resolve("config.json"), config(h));
                SafetensorsWriter.write(dir.resolve(Checkpoint.SINGLE), entries, null,
                        (e, dst) -> copy(bin, placements.get(e.name()), dst, h.headSize(), h.dim()));
                AtomicFiles.writeJson(dir.resolve("tokenizer.json"), TokenizerJson.of(vocabulary));
                AtomicFiles.writeJson(dir.resolve("tokenizer_config.json"), tokenizerConfig(h));
                AtomicFiles.writeJson(dir.resolve("generation_config.json"), generationConfig());
            });
            return new ImportedModel(outDir, List.of("config.json", Checkpoint.SINGLE, "tokenizer.json", "tokenizer_config.json",
                    "generation_config.json"), entries.size(), parameters, h.layers(), h.dim(), h.vocabSize(), h.sharedClassifier());
        } catch (NoSuchFileException e) {
            throw ShallowException.at(modelBin, "file not found");
        } catch (IOException e) {
            throw ShallowException.at(modelBin, "cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * Copies a tensor's bytes. q/k rows go from llama2.c's interleaved RoPE pairs (2i, 2i+1) to HF's
     * rotate-half pairs (i, i + head_dim/2), as HF convert_llama_weights_to_hf.py {@code permute}:
     * {@code w.reshape(heads, head_dim/2, 2, dim).transpose(1, 2)}: out row h*hd + j*hd/2 + i = in row h*hd + 2i + j.
     */
    private static void copy(MemorySegment bin, Placement p, MemorySegment dst, int headDim, int dim) {
        if (p.ropeHeads() == 0) {
            MemorySegment.copy(bin, p.byteOffset(), dst, 0, p.bytes());
            return;
        }
        long rowBytes = 4L * dim;
        int half = headDim / 2;
        for (int h = 0; h < p.ropeHeads(); h++) {
            for (int j = 0; j < 2; j++) {
                for (int i = 0; i < half; i++) {
                    long in = (long) h * headDim + 2 * i + j, out = (long) h * headDim + (long) j * half + i;
                    MemorySegment.copy(bin, p.byteOffset() + in * rowBytes, dst, out * rowBytes, rowBytes);
                }
            }
        }
    }

    private static ObjectNode config(Llama2cHeader h) {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("model_type", "llama");
        c.put("hidden_size", h.dim());
        c.put("intermediate_size", h.hiddenDim());
        c.put("num_hidden_layers", h.layers());
        c.put("num_attention_heads", h.heads());
        c.put("num_key_value_heads", h.kvHeads());
        c.put("vocab_size", h.vocabSize());
        c.put("max_position_embeddings", h.seqLen());
        c.put("rms_norm_eps", RMS_NORM_EPS);
        c.put("rope_theta", ROPE_THETA);
        c.put("hidden_act", "silu");
        c.put("attention_bias", false);
        c.put("tie_word_embeddings", h.sharedClassifier());
        c.put("torch_dtype", "float32");
        c.put("bos_token_id", 1);
        c.put("eos_token_id", 2);
        return c;
    }

    private static ObjectNode tokenizerConfig(Llama2cHeader h) {
        ObjectNode c = JSON.createObjectNode();
        c.put("tokenizer_class", "LlamaTokenizerFast");
        c.put("bos_token", Llama2cVocabulary.SPECIALS[1]);
        c.put("eos_token", Llama2cVocabulary.SPECIALS[2]);
        c.put("unk_token", Llama2cVocabulary.SPECIALS[0]);
        c.put("add_bos_token", true);
        c.put("add_eos_token", false);
        c.put("model_max_length", h.seqLen());
        return c;
    }

    private static ObjectNode generationConfig() {
        ObjectNode c = JSON.createObjectNode();
        c.put("bos_token_id", 1);
        c.put("eos_token_id", 2);
        return c;
    }
}
