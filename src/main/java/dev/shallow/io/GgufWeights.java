package dev.shallow.io;

import dev.shallow.ShallowException;
import dev.shallow.tensor.DType;
import dev.shallow.tensor.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * The tensors of a GGUF file as weights: each a view of the mapping in its row-major shape (ggml lists ne[0], the
 * fastest-varying dimension, first, so ne = [cols, rows] is the [rows, cols] matrix): F32, F16, BF16, and the block
 * formats of Q4_K_M, Q5_K_M, Q6_K and Q8_0 files (Q8_0, Q4_0, Q4_K, Q5_K, Q6_K) as their quantized tensor types; another
 * type is refused, by name and type, when the tensor is asked for.
 */
public final class GgufWeights implements Weights {
    private final GgufFile file;

    private GgufWeights(GgufFile file) {
        this.file = file;
    }

    public static GgufWeights open(Path path) {
        return new GgufWeights(GgufFile.open(path));
    }

    /** True for a regular file named *.gguf (a model given as one file rather than a directory). */
    public static boolean isGguf(Path path) {
        return path.getFileName() != null && path.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".gguf")
                && !Files.isDirectory(path);
    }

    public GgufMetadata metadata() {
        return file.metadata();
    }

    @Override
    public Path path() {
        return file.path();
    }

    /** The row-major shape of a stored tensor: ne reversed. */
    public long[] shape(String name) {
        long[] ne = info(name).ne(), shape = new long[ne.length];
        for (int i = 0; i < ne.length; i++) shape[i] = ne[ne.length - 1 - i];
        return shape;
    }

    @Override
    public Set<String> names() {
        return file.tensors().keySet();
    }

    @Override
    public boolean has(String name) {
        return file.tensors().containsKey(name);
    }

    @Override
    public Tensor tensor(String name) {
        GgufTensorInfo t = info(name);
        DType dtype = t.type().dtype;
        if (dtype == null) {
            throw ShallowException.at(path(), "tensor '" + name + "' is " + t.type() + ", a GGUF type Shallow does not read (it reads "
                    + SUPPORTED + ")");
        }
        try {
            return Tensor.of(dtype, file.tensorData(name), shape(name));
        } catch (IllegalArgumentException e) {
            throw ShallowException.at(path(), "tensor '" + name + "': " + e.getMessage());
        }
    }

    private GgufTensorInfo info(String name) {
        GgufTensorInfo t = file.tensors().get(name);
        if (t == null) throw ShallowException.at(path(), "tensor '" + name + "' required by the GGUF metadata is missing from the file");
        return t;
    }

    @Override
    public Stored stored(String name) {
        return new Stored(info(name).type().name(), info(name).elements());
    }

    /** The GGUF types read, as the refusal of another lists them. */
    private static final String SUPPORTED = java.util.Arrays.stream(GgmlType.values()).filter(t -> t.dtype != null)
            .map(GgmlType::name).collect(java.util.stream.Collectors.joining(", "));

    @Override
    public long bytesOnDisk() {
        return path().toFile().length();
    }

    @Override
    public void requireFinite() {
        for (GgufTensorInfo t : file.tensors().values()) {
            DType d = t.type().dtype;
            if (d != null) NonFinite.require(path(), t.name(), d, shape(t.name()), file.tensorData(t.name()));
        }
    }

    @Override
    public void close() {
        file.close();
    }
}
