package dev.shallow.convert;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.io.Checkpoint;
import dev.shallow.io.GgmlType;
import dev.shallow.io.GgufWriter;
import dev.shallow.model.AbsentSubBlocks;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.family.Deci;
import dev.shallow.model.family.Families;
import dev.shallow.model.family.Family;
import dev.shallow.model.family.GgufTensor;
import dev.shallow.model.family.TensorNames;
import dev.shallow.tensor.Tensor;
import dev.shallow.tokenizer.GgufTokenizerExport;
import dev.shallow.tokenizer.Tokenizer;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * Writes a Hugging Face model directory (all its layers, or the kept ones of a pruning) as one GGUF file llama.cpp loads,
 * as convert_hf_to_gguf.py writes it: general.* keys, the family's {@code ARCH.*} keys ({@link Family#writeGgufKeys}), the
 * tokenizer ({@link GgufTokenizerExport}), a pruning's {@code shallow.pruning.*} keys ({@link PruningMetadata}), then the
 * tensors its family maps ({@link Family#ggufTensors}), each streamed row by row from the mapped checkpoint into the
 * mapped output ({@link GgufWriter}). Weights stay in their stored type unless a type is asked for (Q8_0 quantized row by
 * row, after llama's q/k rows are placed); norms and 1-D tensors are F32 ({@link GgufTensorTypes}).
 */
public final class GgufExporter {
    /** Stored tensors a converter drops (convert_hf_to_gguf.py prepare_tensors skips them): RoPE tables computed from the config. */
    private static final Pattern DROPPED = Pattern.compile(".*\\.rotary_emb\\.inv_freq");

    private GgufExporter() {
    }

    /**
     * @param dtype              the type of the weights (F32, F16, BF16, Q8_0), or null to keep each one's stored type
     * @param allowIgnoredWindow write a model whose sliding window llama.cpp's graph ignores, with a warning, instead of refusing it
     */
    public record Options(GgmlType dtype, boolean allowIgnoredWindow) {
    }

    /** What was written, and the warnings to print (an ignored window). */
    public record Result(Path out, String architecture, int layers, int tensors, List<String> warnings) {
    }

    /** Refuses a model llama.cpp would run as another model, before anything is read: returns the warnings to print when allowed. */
    static List<String> checkWindow(Family f, ModelConfig c, Path config, boolean allow) {
        String ignored = f.ggufIgnoredWindow(c);
        if (ignored == null) return List.of();
        if (!allow) throw ShallowException.at(config, ignored + "; --allow-ignored-window writes it anyway");
        return List.of(config + ": " + ignored);
    }

    /**
     * Writes {@code modelDir} to {@code out}, keeping layers {@code kept} (ascending source indices; null: all) and recording
     * {@code pruning} (null when nothing is removed).
     */
    public static Result write(Path modelDir, Path out, Options o, int[] kept, ObjectNode pruning) {
        ModelConfig source = ModelConfig.load(modelDir);
        int[] layers = kept != null ? kept : IntStream.range(0, source.numLayers()).toArray();
        return write(modelDir, out, o, layers, AbsentSubBlocks.ofRecord(modelDir, source.numLayers()).keep(layers), pruning);
    }

    /**
     * The same with the sub-blocks {@code absent} from the written blocks (block i being source layer {@code layers[i]}): when there
     * are any, the file is llama.cpp's deci ({@link DeciLayout}), which skips them.
     */
    public static Result write(Path modelDir, Path out, Options o, int[] layers, AbsentSubBlocks absent, ObjectNode pruning) {
        return write(modelDir, out, o, layers, absent, pruning, Map.of());
    }

    /** The same with the stored tensors named in {@code replaced} (by their names in the checkpoint) read from their replacements. */
    public static Result write(Path modelDir, Path out, Options o, int[] layers, AbsentSubBlocks absent, ObjectNode pruning, Map<String, Tensor> replaced) {
        Path configFile = modelDir.resolve("config.json");
        ModelConfig source = ModelConfig.load(modelDir);
        Family f = Families.of(source);
        ModelConfig c = source.keep(layers);
        DeciLayout deci = absent.any() ? DeciLayout.of(f.name(), absent, layers, modelDir) : null;
        List<String> warnings = checkWindow(f, c, configFile, o.allowIgnoredWindow());
        GgufWriter.Metadata m = new GgufWriter.Metadata();
        String arch = f.ggufWriteArchitecture();
        String name = modelDir.toAbsolutePath().normalize().getFileName().toString();
        checkPhi3Tokens(name, modelDir);
        m.string("general.architecture", arch).string("general.type", "model").string("general.name", name);
        m.u32("general.file_type", 0); // set below, once the weights' type is known; the key keeps its place
        try {
            f.writeGgufKeys(c, m);
        } catch (IllegalArgumentException e) {
            throw ShallowException.at(configFile, e.getMessage() + "; not written as GGUF");
        }
        warnings = new ArrayList<>(warnings);
        warnings.addAll(GgufTokenizerExport.write(modelDir, c.vocabSize(), m));
        if (pruning != null) PruningMetadata.put(m, pruning);
        try (Checkpoint ck = Checkpoint.open(modelDir)) {
            TensorNames names = f.names(ck::has);
            List<GgufTensor> plans;
            try {
                plans = (deci != null ? Families.DECI : f).ggufTensors(c, names, ck::has, layers); // deci: q/k rows interleaved for its NORM RoPE
            } catch (IllegalArgumentException e) {
                throw ShallowException.at(modelDir, e.getMessage());
            }
            int leftOut = requireAllMapped(ck, f, plans, names, source, layers);
            if (leftOut > 0) {
                warnings.add(modelDir + ": " + leftOut + " tensors outside the text model (vision tower, projector) not written: llama.cpp reads them"
                        + " from a separate mmproj file, which Shallow does not write");
            }
            List<GgufWriter.Tensor> tensors = new ArrayList<>();
            for (GgufTensor p : plans) if (deci == null || deci.keeps(p.name())) tensors.add(tensor(ck, p, o.dtype(), replaced));
            if (deci != null) {
                tensors.addAll(deci.standIns(c));
                m = deci.keys(m, arch, c);
                arch = Deci.ARCHITECTURE;
            }
            // the type asked for (convert_hf_to_gguf.py writes its ftype), else token_embd's: the file type follows the bulk of the weights
            GgmlType weights = o.dtype() != null ? o.dtype() : tensors.getFirst().type();
            m.u32("general.file_type", GgufTensorTypes.fileType(weights));
            GgufWriter.write(out, m, tensors);
            return new Result(out, arch, c.numLayers(), tensors.size(), warnings);
        }
    }

    /** The tokens llama.cpp gives Phi-3's attributes by text (src/llama-vocab.cpp llama_vocab::impl::load, "phi-3" / "phi3" model names). */
    private static final List<String> PHI3_TOKENS = List.of("</s>", "<unk>", "<s>", "<|endoftext|>");

    /**
     * llama.cpp gives a model whose general.name contains "phi-3" or "phi3" (any case) Phi-3's token attributes, looking up
     * {@link #PHI3_TOKENS} by text with std::map::at: a vocabulary without one of them fails to load ("error loading model
     * vocabulary: _Map_base::at"). Refused before anything is written, naming the token.
     */
    static void checkPhi3Tokens(String name, Path modelDir) {
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        if (!lower.contains("phi-3") && !lower.contains("phi3")) return;
        Tokenizer tok = Tokenizer.load(modelDir);
        for (String t : PHI3_TOKENS) {
            if (tok.idOf(t).isEmpty()) {
                throw ShallowException.at(modelDir, "general.name '" + name + "' (the directory's name) makes llama.cpp look up Phi-3's tokens "
                        + PHI3_TOKENS + " and the tokenizer has no '" + t + "': llama.cpp would fail to load the file; copy the model to a directory without phi3 in its name");
            }
        }
    }

    /**
     * Every stored tensor of a kept layer, and every other stored tensor but a tied head, RoPE tables and what the family leaves
     * out by design ({@link Family#ggufLeavesOut}), is the source of some GGUF tensor: one that is not would be dropped silently,
     * giving another model. Returns the number left out by design.
     */
    private static int requireAllMapped(Checkpoint ck, Family f, List<GgufTensor> plans, TensorNames names, ModelConfig c, int[] layers) {
        Set<String> used = new HashSet<>();
        plans.forEach(p -> used.addAll(p.sources()));
        Set<Integer> keptLayers = new HashSet<>();
        for (int l : layers) keptLayers.add(l);
        Pattern layer = Pattern.compile(Pattern.quote(names.layerPrefix()) + "(\\d+)\\..*");
        int leftOut = 0;
        for (String name : ck.names()) {
            if (used.contains(name) || DROPPED.matcher(name).matches()) continue;
            Matcher lm = layer.matcher(name);
            if (lm.matches() && lm.group(1).length() < 9 && !keptLayers.contains(Integer.parseInt(lm.group(1)))) continue;
            if (c.tieWordEmbeddings() && name.startsWith(names.head() + ".")) continue;
            if (f.ggufLeavesOut(name, names)) {
                leftOut++;
                continue;
            }
            throw ShallowException.at(ck.dir(), "tensor '" + name + "' has no place in the " + c.family() + " GGUF mapping; not written (it would be lost)");
        }
        return leftOut;
    }

    /** One GGUF tensor: its sources' rows (a replaced source's from {@code replaced}) stacked, placed and mapped, encoded in the type llama.cpp's rule gives it. */
    static GgufWriter.Tensor tensor(Checkpoint ck, GgufTensor p, GgmlType requested, Map<String, Tensor> replaced) {
        List<Tensor> sources = p.sources().stream().map(name -> replaced.containsKey(name) ? replaced.get(name) : ck.tensor(name)).toList();
        Tensor first = sources.getFirst();
        long rows = 0;
        for (Tensor t : sources) {
            if (t.shape().length != first.shape().length || t.shape().length > 2 || t.shape().length == 2 && t.cols() != first.cols()) {
                throw ShallowException.at(ck.dir(), "tensors " + p.sources() + " of GGUF tensor '" + p.name() + "' do not stack (shapes "
                        + sources.stream().map(s -> Arrays.toString(s.shape())).toList() + ")");
            }
            rows += t.shape()[0];
        }
        boolean matrix = first.shape().length == 2;
        long[] shape = matrix ? new long[] {rows, first.cols()} : new long[] {rows};
        GgmlType type = p.type() != null ? p.type() : GgufTensorTypes.of(p.name(), shape, requested != null ? requested : stored(ck, p, first));
        return new GgufWriter.Tensor(p.name(), shape, type, dst -> fill(sources, p, matrix ? (int) first.cols() : 1, type, dst));
    }

    /** The GGUF type of a source's stored dtype, kept when no type is asked for. */
    private static GgmlType stored(Checkpoint ck, GgufTensor p, Tensor first) {
        if (!first.dtype().isFloatWeight()) throw ShallowException.at(ck.dir(), "tensor " + p.sources().getFirst() + " is " + first.dtype() + "; give --dtype to write it as GGUF");
        return GgmlType.of(first.dtype());
    }

    /** Writes every source row r (rows stacked in order; a 1-D tensor's elements are rows of one) at row {@code p.place(r)}. */
    private static void fill(List<Tensor> sources, GgufTensor p, int cols, GgmlType type, MemorySegment dst) {
        long outRow = type.dtype.byteSize(cols);
        float[] buf = new float[cols];
        int r = 0;
        for (Tensor t : sources) {
            long inRow = t.dtype().byteSize(cols);
            long count = t.size() / cols;
            boolean copy = t.dtype() == type.dtype && p.values() == null;
            for (long i = 0; i < count; i++, r++) {
                long at = p.place(r) * outRow;
                if (copy) {
                    MemorySegment.copy(t.segment(), i * inRow, dst, at, inRow);
                } else {
                    t.copyTo(i * cols, buf, 0, cols);
                    if (p.values() != null) for (int j = 0; j < cols; j++) buf[j] = p.values().toGguf().apply(buf[j]);
                    type.dtype.encode(buf, 0, cols, dst, at);
                }
            }
        }
    }
}
